/**
 * Build, push and sign the example functions into the local registry with the user's key (generated
 * once into the config dir), returning the pinned references the fleet is rendered with.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildWasmArtifact, generateCosignKeyPair, loadPrivateKey, openStore, parseReference, pushWasmArtifact, signArtifact } from '../../artifacts/index.ts';
import type { Modules } from '../../clusters/pinned.ts';
import { buildExample } from '../../examples/functions/build.ts';

export interface SigningKey {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly publicPem: string;
}

/** The key pair in `configDir` (cosign format, empty password), created on first use. */
export async function ensureSigningKey(configDir: string): Promise<SigningKey> {
  const privateKey = join(configDir, 'cosign.key');
  const publicKey = join(configDir, 'cosign.pub');
  if (!existsSync(privateKey) || !existsSync(publicKey)) {
    await mkdir(configDir, { recursive: true, mode: 0o700 });
    const pair = await generateCosignKeyPair('');
    await writeFile(privateKey, pair.privateKeyPem, { mode: 0o600 });
    await writeFile(publicKey, pair.publicKeyPem);
  }
  return { privateKey, publicKey, publicPem: await readFile(publicKey, 'utf8') };
}

const FUNCTIONS = ['echo', 'compute', 'hello', 'misbehave'] as const;

/** Builds (cached), pushes and signs every example function; returns their digest references. */
export async function publishExamples(registryHost: string, key: SigningKey, log: (line: string) => void): Promise<Modules> {
  const signer = await loadPrivateKey(await readFile(key.privateKey, 'utf8'), '');
  const out: Partial<Record<(typeof FUNCTIONS)[number], string>> = {};
  for (const name of FUNCTIONS) {
    const wasm = await readFile(await buildExample(name, { log }));
    const repository = `${registryHost}/functions/${name}`;
    const store = await openStore(parseReference(repository));
    // A fixed creation time keeps the digest a function of the module alone (reproducible renders).
    const artifact = buildWasmArtifact({ wasm, created: new Date('2026-01-01T00:00:00Z'), source: `examples/functions/${name}`, revision: 'local' });
    const digest = await pushWasmArtifact(store, artifact, { tag: 'latest' });
    await signArtifact(store, digest, { key: signer, repository });
    out[name] = `${repository}@${digest}`;
    log(`    ${name}: ${out[name]} signed`);
  }
  return out as Modules;
}
