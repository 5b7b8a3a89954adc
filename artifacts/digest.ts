import { createHash } from 'node:crypto';
import { isDigest } from '../api/digest.ts';
import { OciError } from './errors.ts';

/** Digest syntax is api/'s (one source); artifacts read it here with the other digest helpers. */
export { isDigest };

/** The OCI digest (`sha256:<hex>`) of some bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Validates a digest string, naming `field` in the error. */
export function assertDigest(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isDigest(value)) {
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
