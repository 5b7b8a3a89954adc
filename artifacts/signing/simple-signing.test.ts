import { describe, expect, it } from 'vitest';
import { VerifyError } from '../errors.ts';
import { signatureManifest, signatureTag } from './cosign-signature.ts';
import { checkSimpleSigningPayload, simpleSigningPayload } from './simple-signing.ts';

const D = `sha256:${'b'.repeat(64)}`;

describe('simple signing payload', () => {
  it('is byte-identical to what cosign signs', () => {
    expect(Buffer.from(simpleSigningPayload('127.0.0.1:5000/fn/a', D)).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/fn/a"},"image":{"docker-manifest-digest":"${D}"},"type":"cosign container image signature"},"optional":null}`,
    );
  });

  it.each([
    ['another digest', simpleSigningPayload('r/a', `sha256:${'c'.repeat(64)}`), 'PayloadMismatch'],
    ['another type', Buffer.from(JSON.stringify({ critical: { identity: {}, image: { 'docker-manifest-digest': D }, type: 'x' } })), 'MalformedSignature'],
    ['not JSON', Buffer.from('{'), 'MalformedSignature'],
  ])('refuses %s', (_n, payload, code) => {
    try {
      checkSimpleSigningPayload(payload, D);
      expect.fail('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(VerifyError);
      expect((e as VerifyError).code).toBe(code);
    }
  });
});

describe('signature image', () => {
  it('uses the sha256-<hex>.sig tag and keeps earlier signatures when adding one', () => {
    expect(signatureTag(D)).toBe(`sha256-${'b'.repeat(64)}.sig`);
    const first = signatureManifest(undefined, { payload: simpleSigningPayload('r/a', D), annotations: { 'dev.cosignproject.cosign/signature': 'AAA=' } });
    const second = signatureManifest(first.manifest, { payload: simpleSigningPayload('r/a', D), annotations: { 'dev.cosignproject.cosign/signature': 'BBB=' } });
    expect(second.manifest.layers.map((l) => l.annotations?.['dev.cosignproject.cosign/signature'])).toEqual(['AAA=', 'BBB=']);
    const again = signatureManifest(second.manifest, { payload: simpleSigningPayload('r/a', D), annotations: { 'dev.cosignproject.cosign/signature': 'BBB=' } });
    expect(again.manifest.layers).toHaveLength(2);
    expect(JSON.parse(Buffer.from(second.configBytes).toString())).toMatchObject({ rootfs: { type: 'layers', diff_ids: [second.manifest.layers[0]?.digest, second.manifest.layers[1]?.digest] } });
  });
});
