import { VerifyError } from '../errors.ts';

/** The `type` cosign writes into every container-image signature payload. */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

/** The Red Hat "simple signing" payload cosign signs: it binds a signature to one manifest digest. */
export interface SimpleSigningPayload {
  readonly critical: {
    readonly identity: { readonly 'docker-reference': string };
    readonly image: { readonly 'docker-manifest-digest': string };
    readonly type: string;
  };
  readonly optional: Record<string, unknown> | null;
}

/** The payload bytes for `repository@digest`, byte-identical to cosign's (Go struct field order, no spaces). */
export function simpleSigningPayload(repository: string, digest: string, optional?: Record<string, string>): Uint8Array {
  const payload: SimpleSigningPayload = {
    critical: { identity: { 'docker-reference': repository }, image: { 'docker-manifest-digest': digest }, type: SIMPLE_SIGNING_TYPE },
    optional: optional ?? null,
  };
  return Buffer.from(JSON.stringify(payload));
}

/**
 * Parses a signed payload and checks it names `digest`. Run only after the signature over the bytes
 * verified: a payload for another digest is PayloadMismatch, a payload of the wrong shape MalformedSignature.
 */
export function checkSimpleSigningPayload(bytes: Uint8Array, digest: string): SimpleSigningPayload {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new VerifyError('MalformedSignature', 'signature payload: expected simple-signing JSON, got unparseable bytes', { cause });
  }
  const p = body as Partial<SimpleSigningPayload>;
  const signed = p.critical?.image?.['docker-manifest-digest'];
  if (typeof signed !== 'string' || p.critical?.type !== SIMPLE_SIGNING_TYPE) {
    throw new VerifyError('MalformedSignature', `signature payload: expected critical.type ${JSON.stringify(SIMPLE_SIGNING_TYPE)} and critical.image.docker-manifest-digest, got ${JSON.stringify(p.critical ?? null).slice(0, 200)}`);
  }
  if (signed !== digest) {
    throw new VerifyError('PayloadMismatch', `signature payload: expected docker-manifest-digest ${digest}, got ${signed}; the signature is for another artifact`);
  }
  return p as SimpleSigningPayload;
}
