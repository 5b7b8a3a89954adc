import { VerifyError } from '../errors.ts';
import { loadPublicKey } from './keys.ts';
import type { KeyObject } from 'node:crypto';

/** A keyless identity the fleet trusts: the OIDC issuer, and the certificate subject exactly or by pattern. */
export interface TrustedIdentity {
  readonly issuer: string;
  readonly subject?: string;
  /** Matched against the whole subject: anchored as `^(?:pattern)$` so `.*@example\.com` cannot match a prefix. */
  readonly subjectRegExp?: string;
}

/** What a cluster trusts: signing keys (PEM) and keyless identities. Empty trusts nothing (deny by default). */
export interface TrustPolicy {
  readonly keys: readonly string[];
  readonly identities: readonly TrustedIdentity[];
}

/** A policy with keys parsed and patterns compiled, checked once. */
export interface CompiledPolicy {
  readonly keys: readonly { readonly pem: string; readonly key: KeyObject }[];
  readonly identities: readonly { readonly issuer: string; readonly subject?: string; readonly pattern?: RegExp; readonly source: TrustedIdentity }[];
}

/** Validates and compiles a trust policy; InvalidPolicy names the offending entry. */
export function compilePolicy(policy: TrustPolicy): CompiledPolicy {
  const { keys: pems, identities: ids } = policy;
  if (!((pems as unknown) instanceof Array) || !((ids as unknown) instanceof Array)) {
    throw new VerifyError('InvalidPolicy', 'trust policy: expected { keys: PEM[], identities: {issuer, subject|subjectRegExp}[] }, got another shape');
  }
  const keys = pems.map((pem, i) => {
    try {
      return { pem, key: loadPublicKey(pem, `trust policy keys[${i}]`) };
    } catch (cause) {
      throw new VerifyError('InvalidPolicy', cause instanceof Error ? cause.message : String(cause), { cause });
    }
  });
  const identities = ids.map((id, i) => {
    const at = `trust policy identities[${i}]`;
    if (typeof id.issuer !== 'string' || id.issuer === '') throw new VerifyError('InvalidPolicy', `${at}.issuer: expected an OIDC issuer URL, got ${JSON.stringify(id.issuer)}`);
    if ((id.subject === undefined) === (id.subjectRegExp === undefined)) {
      throw new VerifyError('InvalidPolicy', `${at}: expected exactly one of subject or subjectRegExp, got ${id.subject === undefined ? 'neither' : 'both'}`);
    }
    if (id.subjectRegExp !== undefined) {
      try {
        return { issuer: id.issuer, pattern: new RegExp(`^(?:${id.subjectRegExp})$`, 'u'), source: id };
      } catch (cause) {
        throw new VerifyError('InvalidPolicy', `${at}.subjectRegExp: expected a valid regular expression, got ${JSON.stringify(id.subjectRegExp)}`, { cause });
      }
    }
    return { issuer: id.issuer, subject: id.subject as string, source: id };
  });
  return { keys, identities };
}

/** What a Fulcio certificate says about its holder. */
export interface CertificateIdentity {
  readonly subject: string | undefined;
  readonly issuer: string | undefined;
}

/**
 * Checks a keyless signer against the trusted identities. IssuerMismatch when no trusted identity has
 * the certificate's issuer, IdentityMismatch when the issuer is trusted but the subject is not.
 */
export function checkIdentity(policy: CompiledPolicy, got: CertificateIdentity): TrustedIdentity {
  if (policy.identities.length === 0) {
    throw new VerifyError('IdentityMismatch', `expected a signing key from the trust policy, got a keyless certificate for ${got.subject ?? '(no subject)'}; the policy trusts no identities`);
  }
  const sameIssuer = policy.identities.filter((id) => id.issuer === got.issuer);
  if (sameIssuer.length === 0) {
    throw new VerifyError('IssuerMismatch', `expected issuer ${[...new Set(policy.identities.map((i) => i.issuer))].join(' or ')}, got ${got.issuer ?? '(none)'}`);
  }
  const subject = got.subject ?? '';
  const match = sameIssuer.find((id) => (id.pattern !== undefined ? id.pattern.test(subject) : id.subject === subject));
  if (match === undefined) {
    const wanted = sameIssuer.map((id) => (id.pattern !== undefined ? `/${id.source.subjectRegExp}/` : id.subject)).join(' or ');
    throw new VerifyError('IdentityMismatch', `expected subject ${wanted} (issuer ${got.issuer}), got ${got.subject ?? '(none)'}`);
  }
  return match.source;
}

/** Of several failed signatures, the reason that tells the user most (a valid signature over another digest beats an unknown key). */
export function mostSpecific(errors: readonly VerifyError[]): VerifyError | undefined {
  const order: VerifyError['code'][] = ['PayloadMismatch', 'IdentityMismatch', 'IssuerMismatch', 'UntrustedRoot', 'UntrustedKey', 'MalformedSignature', 'NoSignature'];
  return [...errors].sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code))[0];
}
