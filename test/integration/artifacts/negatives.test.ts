/**
 * Every way an artifact or its signature can be wrong, each asserting its stable reason code.
 * Faults a healthy registry cannot produce (a flipped byte in transit, a lying Content-Length, a
 * body cut short, a connection dropped mid-upload, a run of 503s) are injected by a small proxy
 * (fault-proxy.ts) in front of the REAL registry; everything else uses the real registry directly.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWasmArtifact,
  copyManifest,
  encodeCosignPrivateKey,
  loadPrivateKey,
  OciError,
  openLayout,
  openStore,
  parseReference,
  pullWasm,
  pushWasmArtifact,
  signArtifact,
  signatureTag,
  VerifyError,
  verifySignatures,
} from '../../../artifacts/index.ts';
import type { ArtifactStore, RegistryRepository, TransportOptions } from '../../../artifacts/index.ts';
import { harness, uniqueName } from '../../harness/index.ts';
import { startFaultProxy } from './fault-proxy.ts';
import type { FaultProxy } from './fault-proxy.ts';
import { keyPair, pushedArtifact, tempDir, uniqueModule } from './helpers.ts';

const CLI = join(import.meta.dirname, '../../../cli/main.ts');
const FAST = { retries: 3, backoffMs: 20, maxBackoffMs: 100 };

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(harness().registry.host);
});
afterAll(async () => {
  await proxy.close();
});

/** The same repository seen through the fault proxy. */
async function viaProxy(repo: string, transport: Partial<TransportOptions> = FAST): Promise<RegistryRepository> {
  const path = repo.slice(repo.indexOf('/') + 1);
  return (await openStore(parseReference(`${proxy.host}/${path}`), { transport })) as RegistryRepository;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection, got success'),
    (e: unknown) => e,
  );
}

async function expectCode(p: Promise<unknown>, type: typeof OciError | typeof VerifyError, code: string): Promise<Error> {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(type);
  expect((err as OciError).code, (err as Error).message).toBe(code);
  expect((err as Error).message).toMatch(/expected .*got/);
  return err as Error;
}

async function emptyLayout(store: ArtifactStore, digest: string, dir: string): Promise<void> {
  const layout = await openLayout(dir);
  expect(await layout.listTags()).toEqual([]);
  expect((await layout.readIndex()).manifests).toEqual([]);
  const m = await store.getManifest(digest);
  if (m.kind === 'manifest') for (const l of m.manifest.layers) expect(await layout.hasBlob(l.digest)).toBe(false);
}

describe('tampering', () => {
  it('tampered layer in transit: DigestMismatch, nothing stored', async () => {
    const { repo, store, artifact, digest } = await pushedArtifact(harness().registry.host, 'tamper-layer');
    const dir = await tempDir();
    proxy.setFault((req) => (req.url?.includes(`/blobs/${artifact.layerDescriptor.digest}`) && req.method === 'GET' ? { kind: 'flip-byte', at: 9 } : undefined));
    try {
      await expectCode(pullWasm(await viaProxy(repo), digest, await openLayout(join(dir, 'l'))), OciError, 'DigestMismatch');
    } finally {
      proxy.setFault(() => undefined);
    }
    await emptyLayout(store, digest, join(dir, 'l'));
  });

  it('tampered layer at rest in an OCI layout: DigestMismatch when pulled from it', async () => {
    const { store, artifact, digest } = await pushedArtifact(harness().registry.host, 'tamper-layout');
    const dir = await tempDir();
    const layout = await openLayout(join(dir, 'src'));
    await pullWasm(store, digest, layout);
    const blob = layout.blobPath(artifact.layerDescriptor.digest);
    const bytes = await readFile(blob);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    await writeFile(blob, bytes);
    await expectCode(pullWasm(layout, digest, await openLayout(join(dir, 'dst'))), OciError, 'DigestMismatch');
  });

  it('tampered manifest in transit: verify says DigestMismatch, pull refuses too', async () => {
    const dir = await tempDir();
    const { repo, store, artifact, digest } = await pushedArtifact(harness().registry.host, 'tamper-manifest');
    const k = await keyPair(dir, 'k');
    await signArtifact(store, digest, { key: k.key, repository: repo });
    const evil = Buffer.from(JSON.stringify({ ...artifact.manifest, annotations: { ...artifact.manifest.annotations, evil: 'yes' } }));
    proxy.setFault((req) => (req.url?.endsWith(`/manifests/${digest}`) && req.method === 'GET' ? { kind: 'replace-body', body: evil } : undefined));
    try {
      await expectCode(verifySignatures(await viaProxy(repo), digest, { keys: [k.pub], identities: [] }), VerifyError, 'DigestMismatch');
      await expectCode(pullWasm(await viaProxy(repo), digest, await openLayout(join(dir, 'l'))), OciError, 'DigestMismatch');
    } finally {
      proxy.setFault(() => undefined);
    }
  });

  it('tampered manifest pushed under the signed tag: the new digest has no signature (NoSignature, CLI exit 10)', async () => {
    const dir = await tempDir();
    const { repo, store, digest } = await pushedArtifact(harness().registry.host, 'retag');
    const k = await keyPair(dir, 'k');
    await signArtifact(store, digest, { key: k.key, repository: repo });
    const swapped = buildWasmArtifact({ wasm: uniqueModule(), created: new Date(0) });
    await pushWasmArtifact(store, swapped, { tag: 'v1' });
    const cli = await execa('node', [CLI, 'verify', `${repo}:v1`, '--key', k.pubFile], { reject: false });
    expect(cli.exitCode, cli.stderr).toBe(10);
    expect(cli.stderr).toContain('NoSignature');
    await expectCode(verifySignatures(store, swapped.manifestDigest, { keys: [k.pub], identities: [] }), VerifyError, 'NoSignature');
  });
});

describe('signatures', () => {
  it('signature from another key: UntrustedKey (CLI exit 13)', async () => {
    const dir = await tempDir();
    const { repo, store, digest } = await pushedArtifact(harness().registry.host, 'other-key');
    const signer = await keyPair(dir, 'signer');
    const trusted = await keyPair(dir, 'trusted');
    await signArtifact(store, digest, { key: signer.key, repository: repo });
    await expectCode(verifySignatures(store, digest, { keys: [trusted.pub], identities: [] }), VerifyError, 'UntrustedKey');
    const cli = await execa('node', [CLI, 'verify', `${repo}@${digest}`, '--key', trusted.pubFile], { reject: false });
    expect(cli.exitCode).toBe(13);
  });

  it('signature of another digest copied next to this one: PayloadMismatch (CLI exit 12)', async () => {
    const dir = await tempDir();
    const a = await pushedArtifact(harness().registry.host, 'payload');
    const k = await keyPair(dir, 'k');
    await signArtifact(a.store, a.digest, { key: k.key, repository: a.repo, bundle: 'never' });
    const b = buildWasmArtifact({ wasm: uniqueModule(), created: new Date(0) });
    await pushWasmArtifact(a.store, b, { tag: 'v2' });
    // An attacker copies A's valid signature image to B's signature tag.
    await copyManifest(a.store, a.store, signatureTag(a.digest), { tag: signatureTag(b.manifestDigest) });
    await expectCode(verifySignatures(a.store, b.manifestDigest, { keys: [k.pub], identities: [] }), VerifyError, 'PayloadMismatch');
    const cli = await execa('node', [CLI, 'verify', `${a.repo}:v2`, '--key', k.pubFile], { reject: false });
    expect(cli.exitCode).toBe(12);
  });

  it('missing signature: NoSignature', async () => {
    const dir = await tempDir();
    const { store, digest } = await pushedArtifact(harness().registry.host, 'unsigned');
    const k = await keyPair(dir, 'k');
    await expectCode(verifySignatures(store, digest, { keys: [k.pub], identities: [] }), VerifyError, 'NoSignature');
  });

  it('wrong COSIGN_PASSWORD: WrongPassword (CLI exit 52), nothing signed', async () => {
    const dir = await tempDir();
    const { repo, store, digest } = await pushedArtifact(harness().registry.host, 'wrong-pw');
    const k = await keyPair(dir, 'k', 'right');
    const cli = await execa('node', [CLI, 'sign', `${repo}@${digest}`, '--key', k.keyFile, '--native'], { env: { COSIGN_PASSWORD: 'wrong' }, reject: false });
    expect(cli.exitCode, cli.stderr).toBe(52);
    expect(await store.resolve(signatureTag(digest))).toBeUndefined();
    // Round trip: re-encrypting the loaded key under another password still loads to the same key.
    const again = await loadPrivateKey(await encodeCosignPrivateKey(k.key, 'other'), 'other');
    expect(again.export({ format: 'jwk' })).toEqual(k.key.export({ format: 'jwk' }));
  });
});

describe('transport faults (fault proxy in front of the real registry)', () => {
  it('truncated blob: the body stops short of Content-Length -> SizeMismatch after retries, nothing stored', async () => {
    const { repo, store, artifact, digest } = await pushedArtifact(harness().registry.host, 'truncated', uniqueModule(4096));
    const dir = await tempDir();
    const target = `/blobs/${artifact.layerDescriptor.digest}`;
    proxy.setFault((req) => (req.url?.includes(target) && req.method === 'GET' ? { kind: 'truncate', keep: 1000 } : undefined));
    const before = proxy.log.length;
    try {
      await expectCode(pullWasm(await viaProxy(repo), digest, await openLayout(join(dir, 'l'))), OciError, 'SizeMismatch');
    } finally {
      proxy.setFault(() => undefined);
    }
    expect(proxy.log.slice(before).filter((l) => l.includes(target)).length).toBe(FAST.retries + 1);
    await emptyLayout(store, digest, join(dir, 'l'));
  });

  it('registry lying about Content-Length: refused before a byte is stored (SizeMismatch), no retry', async () => {
    const { repo, store, artifact, digest } = await pushedArtifact(harness().registry.host, 'lying', uniqueModule(4096));
    const dir = await tempDir();
    const target = `/blobs/${artifact.layerDescriptor.digest}`;
    proxy.setFault((req) => (req.url?.includes(target) && req.method === 'GET' ? { kind: 'content-length', value: artifact.layerDescriptor.size - 100 } : undefined));
    const before = proxy.log.length;
    try {
      const err = await expectCode(pullWasm(await viaProxy(repo), digest, await openLayout(join(dir, 'l'))), OciError, 'SizeMismatch');
      expect(err.message).toContain('Content-Length');
    } finally {
      proxy.setFault(() => undefined);
    }
    expect(proxy.log.slice(before).filter((l) => l.includes(target)).length).toBe(1);
    await emptyLayout(store, digest, join(dir, 'l'));
  });

  it('429 with Retry-After: waits as told, then succeeds', async () => {
    const { repo, artifact, digest } = await pushedArtifact(harness().registry.host, 'throttled');
    let throttled = 0;
    proxy.setFault((req) => {
      if (req.url?.includes(`/blobs/${artifact.layerDescriptor.digest}`) && req.method === 'GET' && throttled < 2) {
        throttled++;
        return { kind: 'status', status: 429, headers: { 'retry-after': '1' } };
      }
      return undefined;
    });
    const started = performance.now();
    try {
      // Backoff alone would wait at most 2 x 100 ms here; Retry-After makes it about 2 s.
      const pulled = await pullWasm(await viaProxy(repo, { ...FAST, maxBackoffMs: 5000 }), digest, await openLayout(join(await tempDir(), 'l')));
      expect(await readFile(pulled.wasmPath)).toEqual(Buffer.from(artifact.layerBytes));
    } finally {
      proxy.setFault(() => undefined);
    }
    expect(throttled).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('a registry that stalls mid-body: Timeout after the stall limit, retried, nothing stored', async () => {
    const { repo, store, artifact, digest } = await pushedArtifact(harness().registry.host, 'stall', uniqueModule(4096));
    const dir = await tempDir();
    const target = `/blobs/${artifact.layerDescriptor.digest}`;
    proxy.setFault((req) => (req.url?.includes(target) && req.method === 'GET' ? { kind: 'stall', keep: 100 } : undefined));
    const before = proxy.log.length;
    const started = performance.now();
    try {
      await expectCode(pullWasm(await viaProxy(repo, { ...FAST, retries: 1, timeoutMs: 300 }), digest, await openLayout(join(dir, 'l'))), OciError, 'Timeout');
    } finally {
      proxy.setFault(() => undefined);
    }
    expect(performance.now() - started).toBeLessThan(5000);
    expect(proxy.log.slice(before).filter((l) => l.includes(target)).length).toBe(2);
    await emptyLayout(store, digest, join(dir, 'l'));
  });

  it.each([
    ['a Content-Type other than the manifest\'s own mediaType', { name: 'content-type', value: 'application/vnd.oci.image.index.v1+json' }, 'MediaTypeMismatch'],
    ['a Docker-Content-Digest other than the bytes\' digest', { name: 'docker-content-digest', value: `sha256:${'e'.repeat(64)}` }, 'DigestMismatch'],
  ])('manifest served with %s: %s', async (_name, header, code) => {
    const { repo } = await pushedArtifact(harness().registry.host, 'header');
    proxy.setFault((req) => (req.url?.endsWith('/manifests/v1') && req.method === 'GET' ? { kind: 'header', ...header } : undefined));
    try {
      await expectCode((await viaProxy(repo)).getManifest('v1'), OciError, code);
    } finally {
      proxy.setFault(() => undefined);
    }
  });

  it('manifest larger than the limit (by Content-Length): TooLarge', async () => {
    const { repo, digest } = await pushedArtifact(harness().registry.host, 'huge');
    proxy.setFault((req) => (req.url?.endsWith(`/manifests/${digest}`) ? { kind: 'content-length', value: 64 << 20 } : undefined));
    try {
      await expectCode((await viaProxy(repo)).getManifest(digest), OciError, 'TooLarge');
    } finally {
      proxy.setFault(() => undefined);
    }
  });

  for (const chunkBytes of [undefined, 16 * 1024]) {
    it(`registry down mid-upload (${chunkBytes === undefined ? 'monolithic' : 'chunked'}): a retry completes the push; the tag never points at half-written content`, async () => {
      const host = harness().registry.host;
      const path = `flotilla-test/${uniqueName('down')}`;
      const direct = await openStore(parseReference(`${host}/${path}`));
      const artifact = buildWasmArtifact({ wasm: uniqueModule(100_000), created: new Date(0) });
      const sightings: Promise<boolean>[] = [];
      let cut = false;
      let outage = 0;
      proxy.setFault((req) => {
        const uploading = (req.method === 'PUT' || req.method === 'PATCH') && req.url?.includes('/blobs/uploads/');
        if (uploading && !cut) {
          cut = true;
          return { kind: 'cut-request', afterBytes: 20_000 };
        }
        if (cut && outage < 3) {
          outage++;
          // While the registry is "down", the real registry must not know the tag.
          sightings.push(direct.resolve('v1').then((d) => d !== undefined));
          return { kind: 'status', status: 503 };
        }
        return undefined;
      });
      try {
        const store = await openStore(parseReference(`${proxy.host}/${path}`), { transport: { retries: 6, backoffMs: 20, maxBackoffMs: 100 }, ...(chunkBytes !== undefined ? { chunkBytes } : {}) });
        const digest = await pushWasmArtifact(store, artifact, { tag: 'v1' });
        expect(digest).toBe(artifact.manifestDigest);
      } finally {
        proxy.setFault(() => undefined);
      }
      expect(cut).toBe(true);
      expect(outage).toBe(3);
      expect(await Promise.all(sightings)).toEqual([false, false, false]);
      const dir = await tempDir();
      const pulled = await pullWasm(direct, 'v1', await openLayout(join(dir, 'l')));
      expect(await readFile(pulled.wasmPath)).toEqual(artifact.layerBytes);
    });
  }

  it('registry down for good mid-upload: RegistryUnavailable, and no tag exists', async () => {
    const host = harness().registry.host;
    const path = `flotilla-test/${uniqueName('gone')}`;
    const direct = await openStore(parseReference(`${host}/${path}`));
    const artifact = buildWasmArtifact({ wasm: uniqueModule(50_000), created: new Date(0) });
    let cut = false;
    proxy.setFault((req) => {
      if (!cut && req.method === 'PUT' && req.url?.includes('/blobs/uploads/')) {
        cut = true;
        return { kind: 'cut-request', afterBytes: 10_000 };
      }
      return cut ? { kind: 'status', status: 503 } : undefined;
    });
    try {
      const store = await openStore(parseReference(`${proxy.host}/${path}`), { transport: FAST });
      await expectCode(pushWasmArtifact(store, artifact, { tag: 'v1' }), OciError, 'RegistryUnavailable');
    } finally {
      proxy.setFault(() => undefined);
    }
    expect(await direct.resolve('v1')).toBeUndefined();
    expect(await direct.hasBlob(artifact.layerDescriptor.digest)).toBe(false);
  });
});

