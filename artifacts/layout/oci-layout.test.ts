import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OciError } from '../errors.ts';
import { describe as describeBlob, encodeJson } from '../manifest.ts';
import { OCI_EMPTY_JSON, OCI_MANIFEST } from '../media-types.ts';
import { pullWasm } from '../transfer.ts';
import { buildWasmArtifact } from '../wasm-artifact.ts';
import { openLayout, readLayout } from './oci-layout.ts';

const wasm = (n: number): Buffer => Buffer.concat([Buffer.from('0061736d01000000', 'hex'), Buffer.from([0, 2, 1, n])]);
const temp = (): Promise<string> => mkdtemp(join(tmpdir(), 'flotilla-layout-'));

async function withArtifact(n = 1) {
  const dir = await temp();
  const layout = await openLayout(join(dir, 'src'));
  const a = buildWasmArtifact({ wasm: wasm(n), created: new Date(0) });
  await layout.putBlob(a.layerDescriptor, { bytes: a.layerBytes });
  await layout.putBlob(a.configDescriptor, { bytes: a.configBytes });
  await layout.putManifest(a.manifestBytes, OCI_MANIFEST, 'v1');
  return { dir, layout, a };
}

describe('OciLayoutStore', () => {
  it('writes the image-layout files oras and skopeo read', async () => {
    const { layout, a } = await withArtifact();
    expect(JSON.parse(await readFile(join(layout.root, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect((await layout.readIndex()).manifests).toEqual([
      { mediaType: OCI_MANIFEST, digest: a.manifestDigest, size: a.manifestBytes.byteLength, artifactType: 'application/vnd.wasm.config.v0+json', annotations: { 'org.opencontainers.image.ref.name': 'v1' } },
    ]);
    expect(await readFile(layout.blobPath(a.layerDescriptor.digest))).toEqual(a.layerBytes);
    expect((await layout.resolve('v1'))?.digest).toBe(a.manifestDigest);
    expect((await layout.getManifest(a.manifestDigest)).bytes).toEqual(a.manifestBytes);
  });

  it('moves a tag to the newest manifest and keeps one entry per tag', async () => {
    const { layout } = await withArtifact();
    const b = buildWasmArtifact({ wasm: wasm(2), created: new Date(0) });
    await layout.putBlob(b.layerDescriptor, { bytes: b.layerBytes });
    await layout.putBlob(b.configDescriptor, { bytes: b.configBytes });
    await layout.putManifest(b.manifestBytes, OCI_MANIFEST, 'v1');
    expect((await layout.resolve('v1'))?.digest).toBe(b.manifestDigest);
    expect(await layout.listTags()).toEqual(['v1']);
  });

  it('keeps every tag when many writers update index.json at once', async () => {
    const { layout, a } = await withArtifact();
    await Promise.all(Array.from({ length: 25 }, (_, i) => layout.putManifest(a.manifestBytes, OCI_MANIFEST, `t${i}`)));
    expect((await layout.listTags()).length).toBe(26);
  });

  it('finds referrers by subject', async () => {
    const { layout, a } = await withArtifact();
    const empty = Buffer.from('{}');
    await layout.putBlob(describeBlob(OCI_EMPTY_JSON, empty), { bytes: empty });
    const referrer = encodeJson({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/example', config: describeBlob(OCI_EMPTY_JSON, empty), layers: [], subject: { mediaType: OCI_MANIFEST, digest: a.manifestDigest, size: a.manifestBytes.byteLength } });
    const digest = await layout.putManifest(referrer, OCI_MANIFEST);
    expect((await layout.referrers(a.manifestDigest)).map((r) => [r.digest, r.artifactType])).toEqual([[digest, 'application/example']]);
    expect(await layout.referrers(a.manifestDigest, 'application/other')).toEqual([]);
  });

  it('refuses blobs whose bytes do not match their digest, on write and on read', async () => {
    const { layout, a } = await withArtifact();
    await expect(layout.putBlob({ ...a.layerDescriptor, digest: `sha256:${'0'.repeat(64)}` }, { bytes: a.layerBytes })).rejects.toMatchObject({ code: 'DigestMismatch' });
    await writeFile(layout.blobPath(a.configDescriptor.digest), '{"tampered":true}');
    await expect(layout.getBlob(a.configDescriptor)).rejects.toMatchObject({ code: 'DigestMismatch' });
  });

  it('re-fetches a cached layer that was corrupted at rest instead of trusting it', async () => {
    const { dir, layout, a } = await withArtifact();
    const cache = await openLayout(join(dir, 'cache'));
    await pullWasm(layout, 'v1', cache);
    await writeFile(cache.blobPath(a.layerDescriptor.digest), 'rotten');
    const again = await pullWasm(layout, 'v1', cache);
    expect(await readFile(again.wasmPath)).toEqual(a.layerBytes);
  });

  it('reports a broken layout as LayoutCorrupt', async () => {
    const dir = await temp();
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expect(openLayout(dir)).rejects.toMatchObject({ code: 'LayoutCorrupt' });
    const other = await openLayout(join(dir, 'x'));
    await writeFile(join(other.root, 'index.json'), 'garbage');
    await expect(other.listTags()).rejects.toMatchObject({ code: 'LayoutCorrupt' });
    await expect(other.listTags()).rejects.toBeInstanceOf(OciError);
  });
});

describe('readLayout', () => {
  it('reads index.json once, creates nothing and refuses writes', async () => {
    const { layout, a } = await withArtifact();
    const view = readLayout(layout.root);
    expect((await view.getManifest(a.manifestDigest)).kind).toBe('manifest');
    // A later change of the file is not seen: the index was read once, for the view's life.
    await writeFile(join(layout.root, 'index.json'), '{}');
    expect((await view.resolve('v1'))?.digest).toBe(a.manifestDigest);
    await expect(view.putBlob(a.layerDescriptor, { bytes: a.layerBytes })).rejects.toMatchObject({ code: 'LayoutCorrupt' });
    await expect(readLayout(join(layout.root, 'absent')).readIndex()).rejects.toMatchObject({ code: 'LayoutCorrupt' });
  });
});
