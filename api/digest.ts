/**
 * The content digest as Flotilla accepts it, written once: `sha256:` and 64 lowercase hex digits.
 * Other algorithms are refused on purpose (one algorithm to audit). Schemas, CEL rules, flag
 * parsers and checks all build on DIGEST, so they cannot drift apart.
 */

/** A digest without anchors, for building larger patterns (a pinned reference, a flag value). */
export const DIGEST = 'sha256:[a-f0-9]{64}';

/** A whole string that is a digest, as a JSON Schema `pattern`. */
export const DIGEST_PATTERN = `^${DIGEST}$`;

const WHOLE = new RegExp(DIGEST_PATTERN);
const PINNED = new RegExp(`@(${DIGEST})$`);

/** True for a well-formed sha256 digest. */
export function isDigest(value: string): boolean {
  return WHOLE.test(value);
}

/** The digest a reference is pinned by (`...@sha256:<hex>` at its end), or undefined when it is not pinned. */
export function pinnedDigest(ref: string): string | undefined {
  return PINNED.exec(ref)?.[1];
}
