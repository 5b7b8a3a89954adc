/**
 * A module named on the command line (`flotilla run|serve <file.wasm | oci-ref>`) as a FunctionDef.
 * A local file runs as given (the user handed it over); an OCI reference goes through pull and
 * verify like on a node, and a tag is resolved to its digest first (the digest is what is verified).
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { openStore, OciError, parseReference, withVersion } from '../../artifacts/index.ts';
import { NodeRuntimeError } from '../errors.ts';
import { sourceOf, type PullOptions } from '../pull/pull.ts';
import type { FunctionDef } from '../resolve/desired-state.ts';
import type { Preopen } from '../wasi/preopen-fs.ts';

/** The function's limits and grants as the command line gives them, and how to pull an OCI reference. */
export type ModuleArgOptions = Pick<FunctionDef, 'memoryPages' | 'timeoutMs' | 'concurrency' | 'env'> & {
  /** Directories preopened for the module (`--dir`). */
  readonly preopens: readonly Preopen[];
  readonly pull: PullOptions;
};

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** Parses `--env K=V`. */
export function parseEnv(values: readonly string[]): { name: string; value: string }[] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    const name = eq === -1 ? '' : v.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new NodeRuntimeError('InvalidArgument', `--env: expected NAME=value with NAME of letters, digits and _, got ${JSON.stringify(v)}`);
    return { name, value: v.slice(eq + 1) };
  });
}

/** Parses `--dir host[:guest][:ro]`; guest defaults to host. */
export function parseDirs(values: readonly string[]): Preopen[] {
  return values.map((v) => {
    const parts = v.split(':');
    const readOnly = parts.at(-1) === 'ro';
    if (readOnly) parts.pop();
    const [hostPath, guestPath = hostPath] = parts;
    if (!hostPath || parts.length > 2 || !guestPath) throw new NodeRuntimeError('InvalidArgument', `--dir: expected host[:guest][:ro], got ${JSON.stringify(v)}`);
    return { hostPath, guestPath, readOnly };
  });
}

export async function functionFromArg(arg: string, o: ModuleArgOptions): Promise<FunctionDef> {
  // The user on the command line is the one granting: each --dir is its own ceiling (the node's never-list still applies).
  const wasi = { dirs: o.preopens.map((p) => ({ ...p, grantedAs: `--dir ${p.hostPath}` })), allowed: o.preopens.map((p) => ({ path: p.hostPath, readOnly: p.readOnly })), allowedBy: 'the --dir flags' };
  const common = { memoryPages: o.memoryPages, timeoutMs: o.timeoutMs, concurrency: o.concurrency, env: o.env, reuse: false, grants: { wasi } };
  if (arg.endsWith('.wasm') || (await isFile(arg))) {
    if (!(await isFile(arg))) throw new NodeRuntimeError('InvalidArgument', `expected a .wasm file or an OCI reference, got ${arg} (no such file)`);
    return { key: `local/${basename(arg).replace(/\.wasm$/, '').toLowerCase().replace(/[^a-z0-9-]/g, '-') || 'module'}`, module: { kind: 'file', path: arg }, ...common };
  }
  let ref;
  try {
    ref = parseReference(arg);
  } catch (err) {
    throw new NodeRuntimeError('InvalidArgument', `expected a .wasm file or an OCI reference, got ${JSON.stringify(arg)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let digest = ref.digest;
  if (digest === undefined) {
    const tag = ref.tag ?? 'latest';
    try {
      digest = (await (await openStore(await sourceOf(ref, o.pull), o.pull.storeOptions ?? {})).resolve(tag))?.digest;
    } catch (err) {
      if (err instanceof OciError) throw new NodeRuntimeError('ModulePullFailed', `resolve ${arg}: ${err.code}: ${err.message}`, { cause: err });
      throw err;
    }
    if (digest === undefined) throw new NodeRuntimeError('ModulePullFailed', `resolve ${arg}: expected tag ${tag} to exist, got none`);
  }
  const pinned = withVersion(ref, { digest });
  const name = ref.kind === 'registry' ? ref.repository.split('/').at(-1)! : 'module';
  return { key: `local/${name}`, module: { kind: 'oci', ref: pinned, digest, text: arg }, ...common };
}
