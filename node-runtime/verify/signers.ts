/** Who signed a module, as the audit log names it: a key by the SHA-256 of its PEM, a keyless identity by issuer and subject. */
import { createHash } from 'node:crypto';
import type { VerifiedSignature } from '../../artifacts/index.ts';

/** One string naming every signature that held, e.g. `key sha256:ab12… (cosign-tag)`. */
export function auditSigners(signers: readonly VerifiedSignature[]): string {
  return signers
    .map((s) => (s.kind === 'key' ? `key sha256:${createHash('sha256').update((s.key ?? '').trim()).digest('hex')} (${s.scheme})` : `identity ${s.subject ?? '?'} from ${s.issuer ?? '?'} (${s.scheme})`))
    .join('; ');
}
