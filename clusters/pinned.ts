/**
 * The module and image references of the fleet, read from clusters/modules.json and
 * clusters/images.json (the files `flotilla up` and the build rewrite with real digests).
 * Every entry must be pinned by digest; keys starting with "//" are comments.
 */
import { readFileSync } from 'node:fs';
import { DIGEST_REF } from '../api/index.ts';

const PINNED = new RegExp(DIGEST_REF);

function load(file: string): Record<string, string> {
  const raw = JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [name, ref] of Object.entries(raw)) {
    if (name.startsWith('//')) continue;
    if (typeof ref !== 'string' || !PINNED.test(ref)) {
      throw new Error(`clusters/${file} entry ${JSON.stringify(name)}: expected <registry>/<repository>@sha256:<64 hex>, got ${JSON.stringify(ref)}`);
    }
    out[name] = ref;
  }
  return out;
}

/** Function name -> module reference. */
export type Modules = Readonly<Record<'echo' | 'compute' | 'hello' | 'misbehave', string>>;

function pick<K extends string>(file: string, keys: readonly K[]): Readonly<Record<K, string>> {
  const all = load(file);
  for (const k of keys) if (all[k] === undefined) throw new Error(`clusters/${file} has no entry ${JSON.stringify(k)}; add it`);
  return all as Record<K, string>;
}

/** The module references of the example functions. */
export function loadModules(): Modules {
  return pick('modules.json', ['echo', 'compute', 'hello', 'misbehave']);
}

/** The operator image, the node runtime images by version (entries `node-runtime@<version>`), and nats-server's (`nats`, for clusters that install NATS). */
export function loadImages(): { readonly operator: string; readonly nodeRuntime: Readonly<Record<string, string>>; readonly nats?: string } {
  const all = load('images.json');
  const { operator } = pick('images.json', ['operator']);
  const nodeRuntime = Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('node-runtime@')).map(([k, ref]) => [k.slice('node-runtime@'.length), ref]));
  if (Object.keys(nodeRuntime).length === 0) throw new Error('clusters/images.json has no node-runtime@<version> entry; add one per WasmRuntime version the fleet uses');
  return { operator, nodeRuntime, ...(all['nats'] !== undefined ? { nats: all['nats'] } : {}) };
}
