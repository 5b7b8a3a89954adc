/** Shared fixtures of the artifact integration tests: modules, keys, the real oras and cosign. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildWasmArtifact, generateCosignKeyPair, loadPrivateKey, openStore, parseReference, pushWasmArtifact } from '../../../artifacts/index.ts';
import type { ArtifactStore, RegistryRepository, WasmArtifact } from '../../../artifacts/index.ts';
import { u32leb } from '../../../artifacts/wasm-encoding.ts';
import { uniqueName } from '../../harness/index.ts';
import { toolPath } from '../../../devenv/tools/paths.ts';
import type { KeyObject } from 'node:crypto';

/** A valid core wasm module, unique per call (a custom section with random bytes), so digests never collide across tests. */
export function uniqueModule(extra = 0): Buffer {
  const payload = Buffer.concat([Buffer.from([4]), Buffer.from('test'), randomBytes(16 + extra)]);
  return Buffer.concat([Buffer.from('0061736d01000000', 'hex'), Buffer.from([0]), Buffer.from(u32leb(payload.length)), payload]);
}

export async function tempDir(prefix = 'flotilla-art-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A fresh repository on `host` with a built, pushed artifact (tag v1). */
export async function pushedArtifact(host: string, prefix: string, wasm = uniqueModule()): Promise<{ repo: string; store: RegistryRepository; artifact: WasmArtifact; digest: string }> {
  const repo = `${host}/flotilla-test/${uniqueName(prefix)}`;
  const store = (await openStore(parseReference(repo), { transport: { retries: 2, backoffMs: 50 } })) as RegistryRepository;
  const artifact = buildWasmArtifact({ wasm, created: new Date('2026-01-01T00:00:00Z'), source: 'https://example.invalid/fn', revision: 'deadbeef' });
  const digest = await pushWasmArtifact(store, artifact, { tag: 'v1' });
  return { repo, store, artifact, digest };
}

/** A cosign key pair in files (our encoder), plus the loaded private key. */
export async function keyPair(dir: string, name: string, password = 'test-password'): Promise<{ keyFile: string; pubFile: string; pub: string; key: KeyObject; password: string }> {
  const files = await generateCosignKeyPair(password);
  const keyFile = join(dir, `${name}.key`);
  const pubFile = join(dir, `${name}.pub`);
  await writeFile(keyFile, files.privateKeyPem);
  await writeFile(pubFile, files.publicKeyPem);
  return { keyFile, pubFile, pub: files.publicKeyPem, key: await loadPrivateKey(files.privateKeyPem, password), password };
}

/** Runs the real oras; plain http because the harness registries are on loopback. */
export async function oras(args: string[], cwd?: string): Promise<string> {
  const r = await execa(toolPath('oras'), args, { cwd, reject: false });
  if (r.exitCode !== 0) throw new Error(`oras ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Runs the real cosign; returns exit code and output so negative cases can assert on them. */
export async function cosign(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ exitCode: number; output: string }> {
  const r = await execa(toolPath('cosign'), args, { env: { COSIGN_YES: 'true', ...env }, cwd, reject: false });
  return { exitCode: r.exitCode ?? -1, output: `${r.stdout}\n${r.stderr}` };
}

export const COSIGN_HTTP = ['--allow-http-registry', '--allow-insecure-registry'];

/** Asserts a store-independent fact: the tag does not exist on the registry (read directly, no proxy). */
export async function tagExists(store: ArtifactStore, tag: string): Promise<boolean> {
  return (await store.resolve(tag)) !== undefined;
}
