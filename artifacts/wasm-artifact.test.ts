import { describe, expect, it } from 'vitest';
import { sha256Digest } from './digest.ts';
import { OciError } from './errors.ts';
import { parseManifest } from './manifest.ts';
import { buildWasmArtifact, creationTime, parseWasmConfig, wasmKind, wasmLayerOf } from './wasm-artifact.ts';

const MODULE = Buffer.from('0061736d01000000', 'hex');
// A component importing instance wasi:cli/environment@0.2.0 and exporting instance wasi:cli/run@0.2.0.
function component(): Buffer {
  const name = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);
  const section = (id: number, body: Buffer) => Buffer.concat([Buffer.from([id, body.length]), body]);
  const imports = section(10, Buffer.concat([Buffer.from([1, 0x00]), name('wasi:cli/environment@0.2.0'), Buffer.from([0x05, 0x00])]));
  const exports = section(11, Buffer.concat([Buffer.from([1, 0x00]), name('wasi:cli/run@0.2.0'), Buffer.from([0x05, 0x00, 0x00])]));
  const custom = section(0, Buffer.concat([name('producers'), Buffer.from([0])]));
  return Buffer.concat([Buffer.from('0061736d0d000100', 'hex'), custom, imports, exports]);
}
const COMPONENT = component();

describe('buildWasmArtifact', () => {
  const input = { wasm: MODULE, created: new Date('2026-01-02T03:04:05Z'), source: 'https://git.example/fn', revision: 'abc123' };

  it('lays out the TAG-Runtime Wasm artifact', () => {
    const a = buildWasmArtifact(input);
    expect(a.manifest).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.wasm.config.v0+json',
      config: { mediaType: 'application/vnd.wasm.config.v0+json', digest: sha256Digest(a.configBytes), size: a.configBytes.byteLength },
      layers: [{ mediaType: 'application/wasm', digest: sha256Digest(MODULE), size: 8, annotations: { 'org.opencontainers.image.title': 'module.wasm' } }],
      annotations: {
        'org.opencontainers.image.created': '2026-01-02T03:04:05Z',
        'org.opencontainers.image.revision': 'abc123',
        'org.opencontainers.image.source': 'https://git.example/fn',
      },
    });
    expect(a.config).toEqual({ created: '2026-01-02T03:04:05Z', architecture: 'wasm', os: 'wasip1', layerDigests: [sha256Digest(MODULE)] });
    expect(a.manifestDigest).toBe(sha256Digest(a.manifestBytes));
    expect(parseManifest(a.manifestBytes, 't', { digest: a.manifestDigest }).kind).toBe('manifest');
  });

  it('is reproducible: same input, same digest; a different created time, a different digest', () => {
    expect(buildWasmArtifact(input).manifestDigest).toBe(buildWasmArtifact({ ...input }).manifestDigest);
    expect(buildWasmArtifact({ ...input, created: new Date(0) }).manifestDigest).not.toBe(buildWasmArtifact(input).manifestDigest);
  });

  it('records a component\'s world (wasip2 + component imports/exports) as the spec requires', () => {
    const a = buildWasmArtifact({ wasm: COMPONENT, created: new Date(0) });
    expect(a.config).toMatchObject({ os: 'wasip2', component: { imports: ['wasi:cli/environment@0.2.0'], exports: ['wasi:cli/run@0.2.0'] } });
    expect(parseWasmConfig(a.configBytes, a.manifest, 't').component?.exports).toEqual(['wasi:cli/run@0.2.0']);
    expect(() => buildWasmArtifact({ wasm: COMPONENT.subarray(0, COMPONENT.length - 3), created: new Date(0) })).toThrow(/got end of file/);
  });

  it('marks components wasip2 and refuses non-wasm', () => {
    expect(wasmKind(COMPONENT)).toBe('wasip2');
    expect(() => wasmKind(Buffer.from('#!/bin/sh\necho'))).toThrow(/expected a WebAssembly binary/);
    expect(() => wasmKind(Buffer.from('0061736d02000000', 'hex'))).toThrow(/got version 02000000/);
  });

  it('takes SOURCE_DATE_EPOCH seconds, else now', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(creationTime('1700000000', now).toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(creationTime(undefined, now)).toBe(now);
    expect(creationTime('', now)).toBe(now);
    expect(() => creationTime('yesterday', now)).toThrow(/SOURCE_DATE_EPOCH: expected whole seconds/);
  });
});

describe('validating pulled artifacts', () => {
  const a = buildWasmArtifact({ wasm: MODULE, created: new Date(0) });

  it('accepts its own config and refuses one that lists other layers', () => {
    expect(parseWasmConfig(a.configBytes, a.manifest, 't').os).toBe('wasip1');
    const wrong = Buffer.from(JSON.stringify({ ...a.config, layerDigests: [sha256Digest('x')] }));
    expect(() => parseWasmConfig(wrong, a.manifest, 't')).toThrow(/expected config layerDigests/);
    expect(() => parseWasmConfig(Buffer.from('{"architecture":"amd64"}'), a.manifest, 't')).toThrow(/invalid application\/vnd.wasm.config.v0\+json/);
  });

  it.each([
    ['an image config', { ...a.manifest, config: { ...a.manifest.config, mediaType: 'application/vnd.oci.image.config.v1+json' } }, 'MediaTypeMismatch'],
    ['no wasm layer', { ...a.manifest, layers: [] }, 'InvalidArtifact'],
    ['two wasm layers', { ...a.manifest, layers: [...a.manifest.layers, ...a.manifest.layers] }, 'InvalidArtifact'],
  ])('wasmLayerOf refuses %s', (_n, manifest, code) => {
    try {
      wasmLayerOf(manifest, 't');
      expect.fail('expected an error');
    } catch (e) {
      expect((e as OciError).code).toBe(code);
    }
  });
});

describe('parseManifest refuses what does not match the request', () => {
  const a = buildWasmArtifact({ wasm: MODULE, created: new Date(0) });
  it.each([
    ['another digest', { digest: sha256Digest('other') }, 'DigestMismatch'],
    ['another size', { size: 3 }, 'SizeMismatch'],
    ['another requested media type', { mediaType: 'application/vnd.oci.image.index.v1+json' }, 'MediaTypeMismatch'],
    ['another Content-Type', { contentType: 'application/vnd.docker.distribution.manifest.v2+json' }, 'MediaTypeMismatch'],
  ])('%s', (_n, expect_, code) => {
    try {
      parseManifest(a.manifestBytes, 't', expect_);
      expect.fail('expected an error');
    } catch (e) {
      expect((e as OciError).code).toBe(code);
      expect((e as OciError).message).toMatch(/expected .*got/);
    }
  });

  it.each([
    ['not JSON', 'nope', 'InvalidManifest'],
    ['unknown media type', '{"schemaVersion":2,"mediaType":"text/plain","config":{},"layers":[]}', 'MediaTypeMismatch'],
    ['bad digest in a descriptor', JSON.stringify({ schemaVersion: 2, config: { mediaType: 'a', digest: 'sha256:xyz', size: 1 }, layers: [] }), 'InvalidManifest'],
  ])('%s', (_n, body, code) => {
    expect(() => parseManifest(Buffer.from(body), 't', {})).toThrow(OciError);
    try {
      parseManifest(Buffer.from(body), 't', {});
    } catch (e) {
      expect((e as OciError).code).toBe(code);
    }
  });
});
