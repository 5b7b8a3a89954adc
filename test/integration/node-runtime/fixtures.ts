/**
 * Fixtures of the node runtime's integration tests: real signed artifacts in a local store (OCI
 * layouts under <store>/<host>/<repo>, what `--local-store` reads) or a real registry, and
 * rendered manifests for them.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildWasmArtifact, openStore, publicKeyPem, pushWasmArtifact, signArtifact, type Reference } from '../../../artifacts/index.ts';

export interface SigningKey {
  readonly key: KeyObject;
  readonly publicPem: string;
}

export function newKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { key: privateKey, publicPem: publicKeyPem(privateKey) };
}

/** Pushes a module as a Wasm artifact to `ref`'s store and signs it with `signer` (unless null). Returns `host/repo@digest`. */
export async function publish(ref: Reference & { kind: 'registry' }, wasm: Uint8Array, signer: SigningKey | null, storeRoot?: string): Promise<string> {
  const storeRef: Reference = storeRoot !== undefined ? { kind: 'layout', path: join(storeRoot, ref.registry, ref.repository) } : ref;
  const store = await openStore(storeRef);
  // The title differs per repository so equal modules still get distinct manifest digests.
  const artifact = buildWasmArtifact({ wasm, created: new Date('2026-01-01T00:00:00Z'), title: `${ref.repository.split('/').at(-1)}.wasm` });
  const digest = await pushWasmArtifact(store, artifact);
  if (signer) await signArtifact(store, digest, { key: signer.key, repository: `${ref.registry}/${ref.repository}`, bundle: 'never' });
  return `${ref.registry}/${ref.repository}@${digest}`;
}

export interface FunctionManifest {
  readonly name: string;
  readonly ref: string;
  readonly memoryPages?: number;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly reuse?: boolean;
  readonly env?: Record<string, string>;
}

/** Rendered manifests: one WasmFunction and one FunctionRoute (host *, /<name>) per function. */
export function renderManifests(fns: readonly FunctionManifest[], namespace = 'edge'): string {
  return fns.map((f) => {
    const annotations = f.reuse ? `\n  annotations:\n    flotilla.dev/instance-reuse: "true"` : '';
    const envEntries = Object.entries(f.env ?? {}).map(([name, value]) => `\n      - name: ${name}\n        value: ${JSON.stringify(value)}`).join('');
    const env = envEntries === '' ? ' []' : envEntries;
    return `apiVersion: flotilla.dev/v1alpha1
kind: WasmFunction
metadata:
  name: ${f.name}
  namespace: ${namespace}${annotations}
spec:
  module:
    ref: ${f.ref}
  limits:
    memoryPages: ${f.memoryPages ?? 256}
    timeoutMs: ${f.timeoutMs ?? 5000}
    concurrency: ${f.concurrency ?? 8}
  capabilities:
    env:${env}
---
apiVersion: flotilla.dev/v1alpha1
kind: FunctionRoute
metadata:
  name: ${f.name}
  namespace: ${namespace}
spec:
  host: "*.test"
  pathPrefix: /${f.name}
  backends:
    - functionRef: ${f.name}
      weight: 100
`;
  }).join('---\n');
}

export async function writeManifests(dir: string, file: string, yaml: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, file), yaml);
}
