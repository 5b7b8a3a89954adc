/** Fuzzing the OCI manifest and index parser (bytes a registry sends) and the registry auth challenge parser. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_RUNS, typedOrValue } from '../api/testdata/fuzz.ts';
import { encodeJson, parseManifest } from './manifest.ts';
import { parseChallenge } from './registry/challenge.ts';

const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`);
const descriptor = fc.record({ mediaType: fc.constantFrom('application/wasm', 'application/vnd.wasm.config.v0+json', 'x/y'), digest, size: fc.nat() }, { requiredKeys: ['mediaType', 'digest', 'size'] });
/** Manifests near the real shape, with fields dropped or of the wrong type: where a parser's guards are. */
const manifestLike = fc.record(
  {
    schemaVersion: fc.oneof(fc.constant(2), fc.integer(), fc.string()),
    mediaType: fc.oneof(fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'), fc.string()),
    config: fc.oneof(descriptor, fc.anything()),
    layers: fc.oneof(fc.array(descriptor, { maxLength: 3 }), fc.anything()),
    manifests: fc.oneof(fc.array(descriptor, { maxLength: 3 }), fc.anything()),
    annotations: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
    subject: descriptor,
  },
  { requiredKeys: [] },
);

/** Well-formed image manifests: what must always be accepted. */
const validManifest = fc.record({
  schemaVersion: fc.constant(2),
  mediaType: fc.constant('application/vnd.oci.image.manifest.v1+json'),
  config: descriptor,
  layers: fc.array(descriptor, { maxLength: 3 }),
  annotations: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
});

describe('parseManifest (fuzzed)', () => {
  it('returns a manifest or index, or throws an OciError, for any bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.jsonValue().map((v) => encodeJson(v)), manifestLike.map((v) => encodeJson(v))), (bytes) => {
        const out = typedOrValue(() => parseManifest(bytes, 'fuzz', {}));
        if (out instanceof Error) expect(out.name).toBe('OciError');
        else expect(['manifest', 'index']).toContain(out.kind);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('round-trips: what it accepts, encoded again, parses to the same thing with the same digest', () => {
    fc.assert(
      fc.property(validManifest, (m) => {
        const first = typedOrValue(() => parseManifest(encodeJson(m), 'fuzz', {}));
        if (first instanceof Error) throw first;
        const again = parseManifest(first.bytes, 'fuzz', { digest: first.digest, size: first.bytes.byteLength });
        expect(again.kind === 'index' ? again.index : again.manifest).toEqual(first.kind === 'index' ? first.index : first.manifest);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('refuses any bytes under a digest they do not hash to', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), digest, (bytes, d) => {
        const out = typedOrValue(() => parseManifest(bytes, 'fuzz', { digest: d }));
        expect(out).toBeInstanceOf(Error);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('parseChallenge (fuzzed)', () => {
  const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('"', '\\', '\\"', ',', '=', ' '));
  it('never throws or hangs on any header, and reads back the params it was given', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (header) => {
        typedOrValue(() => parseChallenge(header));
      }),
      { numRuns: FUZZ_RUNS },
    );
    fc.assert(
      fc.property(fc.constantFrom('Bearer', 'Basic', 'bearer'), fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/), value, { maxKeys: 4 }), (scheme, params) => {
        const header = `${scheme} ${Object.entries(params).map(([k, v]) => `${k}="${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(', ')}`;
        const parsed = typedOrValue(() => parseChallenge(header));
        expect(parsed).toEqual({ scheme: scheme.toLowerCase(), params });
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('survives a long run of backslashes and quotes (a backtracking shape)', () => {
    typedOrValue(() => parseChallenge(`Bearer realm="${'\\'.repeat(50_000)}`));
    typedOrValue(() => parseChallenge(`Bearer ${'a=,'.repeat(20_000)}`));
  });
});
