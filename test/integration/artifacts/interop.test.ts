/**
 * The interop matrix: each cell is one direction between Flotilla and a real ecosystem tool (oras,
 * cosign) against the harness's real registries (docker distribution 2.8; the referrers registry
 * for OCI 1.1 referrers).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadPrivateKey, openLayout, openStore, parseReference, pullWasm, signArtifact, sha256Digest, signatureTag, verifySignatures } from '../../../artifacts/index.ts';
import { harness, uniqueName } from '../../harness/index.ts';
import { toolPath } from '../../../devenv/tools/paths.ts';
import { COSIGN_HTTP, cosign, keyPair, oras, pushedArtifact, tempDir, uniqueModule } from './helpers.ts';

const CLI = join(import.meta.dirname, '../../../cli/main.ts');

/** A trusted_root.json trusting nothing: what cosign needs to read key-signed bundles offline. */
async function emptyTrustedRoot(dir: string): Promise<string> {
  const file = join(dir, 'empty-root.json');
  await writeFile(file, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }));
  return file;
}

describe('interop with oras', () => {
  it('oras push -> our pull: a TAG-Runtime artifact pushed by oras pulls, verified, into our layout', async () => {
    const dir = await tempDir();
    const wasm = uniqueModule();
    const config = { created: '2026-01-01T00:00:00Z', architecture: 'wasm', os: 'wasip1', layerDigests: [sha256Digest(wasm)] };
    await writeFile(join(dir, 'module.wasm'), wasm);
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    const repo = `${harness().registry.host}/flotilla-test/${uniqueName('oras-push')}`;
    await oras(['push', '--plain-http', `${repo}:v1`, '--artifact-type', 'application/vnd.wasm.config.v0+json', '--config', 'config.json:application/vnd.wasm.config.v0+json', 'module.wasm:application/wasm'], dir);

    const store = await openStore(parseReference(repo));
    const layout = await openLayout(join(dir, 'layout'));
    const pulled = await pullWasm(store, 'v1', layout);
    expect(await readFile(pulled.wasmPath)).toEqual(wasm);
    expect(pulled.config).toMatchObject({ architecture: 'wasm', os: 'wasip1' });
    expect(pulled.digest).toBe((await oras(['resolve', '--plain-http', `${repo}:v1`])).trim());
    expect(await layout.listTags()).toContain('v1');
  });

  it('our push -> oras pull: oras fetches the same module bytes and sees our manifest digest', async () => {
    const { repo, artifact, digest } = await pushedArtifact(harness().registry.host, 'our-push');
    const dir = await tempDir();
    await oras(['pull', '--plain-http', `${repo}@${digest}`, '-o', dir]);
    expect(await readFile(join(dir, 'module.wasm'))).toEqual(artifact.layerBytes);
    const manifest = await oras(['manifest', 'fetch', '--plain-http', `${repo}:v1`]);
    expect(sha256Digest(Buffer.from(manifest))).toBe(digest);
    expect(JSON.parse(manifest)).toMatchObject({ artifactType: 'application/vnd.wasm.config.v0+json', config: { mediaType: 'application/vnd.wasm.config.v0+json' }, layers: [{ mediaType: 'application/wasm' }] });
  });

  it('flotilla push gives the same digest through oras and natively (SOURCE_DATE_EPOCH pins created)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'fn.wasm'), uniqueModule());
    const env = { SOURCE_DATE_EPOCH: '1767225600', FLOTILLA_ORAS: toolPath('oras') };
    const base = `${harness().registry.host}/flotilla-test/${uniqueName('cli-push')}`;
    const viaOras = await execa('node', [CLI, 'push', join(dir, 'fn.wasm'), `${base}-a:v1`, '-o', 'json'], { env });
    const native = await execa('node', [CLI, 'push', '--native', join(dir, 'fn.wasm'), `${base}-b:v1`, '-o', 'json'], { env });
    const a = JSON.parse(viaOras.stdout) as { digest: string; tool: string };
    const b = JSON.parse(native.stdout) as { digest: string; tool: string };
    expect([a.tool, b.tool]).toEqual(['oras', 'native']);
    expect(a.digest).toBe(b.digest);
    expect(viaOras.stderr).toContain('with oras');
  });
});

describe('interop with cosign', () => {
  it('cosign sign -> our verify (tag scheme), and cosign\'s encrypted key loads natively', async () => {
    const dir = await tempDir();
    const { repo, store, digest } = await pushedArtifact(harness().registry.host, 'cosign-sign');
    const env = { COSIGN_PASSWORD: 'cosign-made' };
    expect((await cosign(['generate-key-pair'], env, dir)).exitCode).toBe(0);
    const signed = await cosign(['sign', '--key', 'cosign.key', '--tlog-upload=false', ...COSIGN_HTTP, `${repo}@${digest}`], env, dir);
    expect(signed.exitCode, signed.output).toBe(0);

    const pub = await readFile(join(dir, 'cosign.pub'), 'utf8');
    const result = await verifySignatures(store, digest, { keys: [pub], identities: [] });
    expect(result.signatures).toEqual([expect.objectContaining({ scheme: 'cosign-tag', kind: 'key' })]);
    // The key file cosign wrote (ENCRYPTED SIGSTORE PRIVATE KEY, scrypt + secretbox) opens natively.
    const key = await loadPrivateKey(await readFile(join(dir, 'cosign.key'), 'utf8'), 'cosign-made');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('our sign -> cosign verify --key (tag scheme), with a key file cosign itself can sign with', async () => {
    const dir = await tempDir();
    const { repo, store, digest } = await pushedArtifact(harness().registry.host, 'our-sign');
    const k = await keyPair(dir, 'ours');
    await signArtifact(store, digest, { key: k.key, repository: repo });
    const verified = await cosign(['verify', '--key', k.pubFile, '--insecure-ignore-tlog', ...COSIGN_HTTP, `${repo}@${digest}`]);
    expect(verified.exitCode, verified.output).toBe(0);
    expect(verified.output).toContain(`"docker-manifest-digest":"${digest}"`);

    // Our encrypted private key format is cosign's: cosign signs with it, and we verify that signature.
    const other = await pushedArtifact(harness().registry.host, 'our-key-cosign-signs');
    const signed = await cosign(['sign', '--key', k.keyFile, '--tlog-upload=false', ...COSIGN_HTTP, `${other.repo}@${other.digest}`], { COSIGN_PASSWORD: k.password });
    expect(signed.exitCode, signed.output).toBe(0);
    expect((await verifySignatures(other.store, other.digest, { keys: [k.pub], identities: [] })).signatures).toHaveLength(1);
  });

  it.each([['distribution 2.8', false], ['referrers registry', true]])('flotilla sign through cosign and natively leave the same kinds of signature (%s)', async (_name, referrers) => {
    const dir = await tempDir();
    const k = await keyPair(dir, 'cli');
    const host = referrers ? harness().zot?.host : harness().registry.host;
    if (host === undefined) throw new Error('referrers registry missing from the harness');
    for (const mode of [['--native'], []]) {
      const { repo, store, digest } = await pushedArtifact(host, `cli-sign${mode.length > 0 ? '-native' : ''}`);
      const run = await execa('node', [CLI, 'sign', `${repo}:v1`, '--key', k.keyFile, ...mode, '-o', 'json'], { env: { COSIGN_PASSWORD: k.password, FLOTILLA_COSIGN: toolPath('cosign') } });
      expect((JSON.parse(run.stdout) as { tool: string }).tool).toBe(mode.length > 0 ? 'native' : 'cosign');
      // With a bundle among the referrers, cosign insists on a trusted root file (empty: key-signed, offline).
      const rootArgs = referrers ? ['--trusted-root', await emptyTrustedRoot(dir)] : [];
      const verified = await cosign(['verify', '--key', k.pubFile, ...rootArgs, '--insecure-ignore-tlog', ...COSIGN_HTTP, `${repo}@${digest}`]);
      expect(verified.exitCode, verified.output).toBe(0);
      const ours = await execa('node', [CLI, 'verify', `${repo}:v1`, '--key', k.pubFile, '-o', 'json'], { reject: false });
      expect(ours.exitCode, ours.stderr).toBe(0);
      // Same layout either way: the tag-scheme signature, plus a bundle referrer where referrers exist.
      const schemes = (await verifySignatures(store, digest, { keys: [k.pub], identities: [] })).signatures.map((s) => s.scheme).sort();
      expect(schemes).toEqual(referrers ? ['cosign-tag', 'sigstore-bundle'] : ['cosign-tag']);
    }
  });

  it('cosign sign --new-bundle-format (Sigstore bundle via the referrers API) -> our verify', async () => {
    const zot = harness().zot;
    expect(zot, 'the referrers registry is part of the harness').toBeDefined();
    if (zot === undefined) return;
    const dir = await tempDir();
    const { repo, store, digest } = await pushedArtifact(zot.host, 'cosign-bundle');
    const env = { COSIGN_PASSWORD: 'b' };
    expect((await cosign(['generate-key-pair'], env, dir)).exitCode).toBe(0);
    const signed = await cosign(['sign', '--key', 'cosign.key', '--tlog-upload=false', '--new-bundle-format', ...COSIGN_HTTP, `${repo}@${digest}`], env, dir);
    expect(signed.exitCode, signed.output).toBe(0);
    expect(await store.resolve(signatureTag(digest))).toBeUndefined();
    const result = await verifySignatures(store, digest, { keys: [await readFile(join(dir, 'cosign.pub'), 'utf8')], identities: [] });
    expect(result.signatures).toEqual([expect.objectContaining({ scheme: 'sigstore-bundle', kind: 'key' })]);
  });

  it('our bundle via referrers verifies, and the referrers index lists it; a layout copy verifies offline', async () => {
    const zot = harness().zot;
    if (zot === undefined) throw new Error('referrers registry missing from the harness');
    const dir = await tempDir();
    const { repo, store, digest } = await pushedArtifact(zot.host, 'our-bundle');
    const k = await keyPair(dir, 'b');
    const signed = await signArtifact(store, digest, { key: k.key, repository: repo });
    expect(signed.bundleManifest).toBeDefined();
    expect((await store.referrers(digest)).map((r) => r.digest)).toContain(signed.bundleManifest);
    const result = await verifySignatures(store, digest, { keys: [k.pub], identities: [] });
    expect(result.signatures.map((s) => s.scheme).sort()).toEqual(['cosign-tag', 'sigstore-bundle']);
    // cosign reads our bundle through the referrers API too. Key-signed and offline, it needs no
    // Fulcio or Rekor, but insists on a trusted root file: an empty one.
    const emptyRoot = await emptyTrustedRoot(dir);
    const cosignVerified = await cosign(['verify', '--key', k.pubFile, '--new-bundle-format', '--trusted-root', emptyRoot, '--insecure-ignore-tlog', ...COSIGN_HTTP, `${repo}@${digest}`]);
    expect(cosignVerified.exitCode, cosignVerified.output).toBe(0);
    expect(cosignVerified.output).toContain('"type":"https://sigstore.dev/cosign/sign/v1"');
    // Air-gapped edge: pull into a layout with signatures, then verify from the layout alone.
    const layout = await openLayout(join(dir, 'layout'));
    const pulled = await pullWasm(store, digest, layout);
    expect(pulled.signaturesCopied).toBe(2);
    const offline = await verifySignatures(layout, digest, { keys: [k.pub], identities: [] });
    expect(offline.signatures.map((s) => s.scheme).sort()).toEqual(['cosign-tag', 'sigstore-bundle']);
  });

  it('a registry without referrers (distribution 2.8) gets the bundle through the sha256-<hex> tag-scheme index', async () => {
    const dir = await tempDir();
    const { store, digest, repo } = await pushedArtifact(harness().registry.host, 'fallback');
    const k = await keyPair(dir, 'f');
    expect(await store.supportsReferrers(digest)).toBe(false);
    const signed = await signArtifact(store, digest, { key: k.key, repository: repo, bundle: 'always' });
    expect(await store.listTags()).toContain(`sha256-${digest.slice(7)}`);
    expect((await store.referrers(digest)).map((r) => r.digest)).toEqual([signed.bundleManifest]);
    const result = await verifySignatures(store, digest, { keys: [k.pub], identities: [] });
    expect(result.signatures).toHaveLength(2);
  });
});

