import { createHash } from 'node:crypto';
import { OciError } from './errors.ts';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** The OCI digest (`sha256:<hex>`) of some bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** True for a well-formed sha256 digest; other algorithms are refused on purpose (one algorithm to audit). */
export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

/** Validates a digest string, naming `field` in the error. */
export function assertDigest(value: unknown, field: string): string {
  if (typeof value !== 'string' || !DIGEST_RE.test(value)) {
    throw new OciError('InvalidReference', `${field}: expected a digest sha256:<64 lowercase hex>, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The hex part of a sha256 digest. */
export function digestHex(digest: string): string {
  return assertDigest(digest, 'digest').slice('sha256:'.length);
}

/** Throws DigestMismatch unless `bytes` hash to `expected`. */
export function checkDigest(bytes: Uint8Array, expected: string, what: string): void {
  const got = sha256Digest(bytes);
  if (got !== expected) {
    throw new OciError('DigestMismatch', `${what}: expected digest ${expected}, got ${got}; the content was altered or the source is lying`);
  }
}
