import { createHash, createPublicKey, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import type { Bundle } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, VerificationError } from '@sigstore/verify';
import type { Signer } from '@sigstore/verify';
import { digestHex } from '../digest.ts';
import { VerifyError } from '../errors.ts';
import { SIGSTORE_BUNDLE_V03 } from '../media-types.ts';
import type { CompiledPolicy } from './policy.ts';
import { checkIdentity } from './policy.ts';

/** cosign's predicate type for "this image is signed" statements (`cosign sign --new-bundle-format`). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);
const EMPTY_ROOT = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };

/** The in-toto statement cosign signs for an image digest (subject by digest, empty predicate). */
export function signStatement(digest: string): Uint8Array {
  return Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: digestHex(digest) } }], predicateType: COSIGN_SIGN_PREDICATE, predicate: {} }),
  );
}

/** A key-signed Sigstore bundle (v0.3, DSSE) over the sign statement for `digest`, as JSON bytes. No tlog entry: offline signing. */
export function createKeyBundle(privateKey: KeyObject, digest: string): Uint8Array {
  const payload = Buffer.from(signStatement(digest));
  const sig = cryptoSign('sha256', dsse.preAuthEncoding(IN_TOTO_PAYLOAD, payload), privateKey);
  const bundle = {
    mediaType: SIGSTORE_BUNDLE_V03,
    verificationMaterial: { publicKey: { hint: keyHint(privateKey) }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType: IN_TOTO_PAYLOAD, signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
  };
  return Buffer.from(JSON.stringify(bundle));
}

/** cosign's key hint: base64 SHA-256 of the SPKI DER of the public key. */
function keyHint(key: KeyObject): string {
  const der = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der).digest('base64');
}


/** Options for keyless verification. */
export interface BundleVerifyOptions {
  /** Sigstore trusted_root.json content (Fulcio CAs, Rekor keys, CT logs). Keyless bundles fail UntrustedRoot without it. */
  readonly trustedRoot?: unknown;
  /** SCTs required in Fulcio certificates. @default 1 */
  readonly ctlogThreshold?: number;
}

/** What a verified bundle proved. */
export interface BundleResult {
  readonly kind: 'key' | 'keyless';
  /** PEM of the policy key that verified, for key bundles. */
  readonly key?: string;
  readonly subject?: string;
  readonly issuer?: string;
}

function parseBundle(bytes: Uint8Array): Bundle {
  try {
    return bundleFromJSON(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (cause) {
    throw new VerifyError('MalformedSignature', `sigstore bundle: expected a valid bundle JSON, got ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function fromSigstore(err: unknown, keyBased: boolean): VerifyError {
  if (err instanceof VerifyError) return err;
  if (err instanceof VerificationError) {
    const detail = `${err.code}: ${err.message}`;
    if (err.code === 'SIGNATURE_ERROR' || err.code === 'PUBLIC_KEY_ERROR') {
      return keyBased
        ? new VerifyError('UntrustedKey', `sigstore bundle: expected a signature by a trusted key, got one it does not verify (${detail})`, { cause: err })
        : new VerifyError('MalformedSignature', `sigstore bundle: expected a signature matching its certificate, got ${detail}`, { cause: err });
    }
    if (err.code === 'TLOG_BODY_ERROR') return new VerifyError('MalformedSignature', `sigstore bundle: expected a tlog entry matching the signature, got ${detail}`, { cause: err });
    if (err.code.startsWith('TLOG')) return new VerifyError('UntrustedRoot', `sigstore bundle: expected a transparency-log entry provable by a log in the trusted root, got ${detail}`, { cause: err });
    if (err.code === 'CERTIFICATE_ERROR') return new VerifyError('UntrustedRoot', `sigstore bundle: expected a certificate chaining to a CA of the trusted root (with the required SCTs), got ${detail}`, { cause: err });
    return new VerifyError('UntrustedRoot', `sigstore bundle: expected verifiable timestamps from the trusted root, got ${detail}`, { cause: err });
  }
  return new VerifyError('MalformedSignature', `sigstore bundle: expected a well-formed bundle, got ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/**
 * Binds a verified bundle to the artifact: a DSSE in-toto statement must name `digest` among its
 * subjects with cosign's sign predicate; a message signature must be over `manifestBytes` (the
 * manifest itself was signed, digest = manifest digest).
 */
function checkBinding(bundle: Bundle, digest: string): void {
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    if (env.payloadType !== IN_TOTO_PAYLOAD) throw new VerifyError('MalformedSignature', `sigstore bundle: expected DSSE payloadType ${IN_TOTO_PAYLOAD}, got ${env.payloadType}`);
    let statement: { _type?: unknown; subject?: { digest?: Record<string, string> }[]; predicateType?: unknown };
    try {
      statement = JSON.parse(env.payload.toString('utf8')) as typeof statement;
    } catch (cause) {
      throw new VerifyError('MalformedSignature', 'sigstore bundle: expected an in-toto statement, got unparseable JSON', { cause });
    }
    if (!STATEMENT_TYPES.has(String(statement._type)) || statement.predicateType !== COSIGN_SIGN_PREDICATE) {
      throw new VerifyError('MalformedSignature', `sigstore bundle: expected an in-toto statement with predicateType ${COSIGN_SIGN_PREDICATE}, got ${String(statement._type)} / ${String(statement.predicateType)}`);
    }
    const subjects = (statement.subject ?? []).map((s) => s.digest?.['sha256']).filter((d): d is string => typeof d === 'string');
    if (!subjects.includes(digestHex(digest))) {
      throw new VerifyError('PayloadMismatch', `sigstore bundle: expected subject sha256:${digestHex(digest)}, got ${subjects.map((s) => `sha256:${s}`).join(', ') || 'none'}`);
    }
    return;
  }
  const md = bundle.content.messageSignature.messageDigest;
  const got = md !== undefined ? `sha256:${md.digest.toString('hex')}` : '(none)';
  if (got !== digest) throw new VerifyError('PayloadMismatch', `sigstore bundle: expected message digest ${digest}, got ${got}`);
}

/**
 * Verifies a Sigstore bundle for `digest` offline. Key bundles: against each policy key (cosign's
 * hint is advisory, so every trusted key is tried). Keyless: certificate chain, SCTs and tlog
 * inclusion promise against `trustedRoot`, then issuer and subject against the policy identities.
 * `manifestBytes` is the signed artifact for message-signature bundles.
 */
export function verifyBundle(bytes: Uint8Array, digest: string, manifestBytes: Uint8Array, policy: CompiledPolicy, options: BundleVerifyOptions = {}): BundleResult {
  const bundle = parseBundle(bytes);
  const artifact = bundle.content.$case === 'messageSignature' ? Buffer.from(manifestBytes) : undefined;
  const entity = (() => {
    try {
      return toSignedEntity(bundle, artifact);
    } catch (err) {
      throw fromSigstore(err, false);
    }
  })();
  if (entity.key.$case === 'public-key') {
    if (policy.keys.length === 0) throw new VerifyError('UntrustedKey', 'sigstore bundle: expected a keyless certificate (the policy trusts no keys), got a key-signed bundle');
    let last: VerifyError | undefined;
    for (const { pem, key } of policy.keys) {
      const material = toTrustMaterial(TrustedRoot.fromJSON(EMPTY_ROOT), () => ({ publicKey: key, validFor: () => true }));
      try {
        new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
        checkBinding(bundle, digest);
        return { kind: 'key', key: pem };
      } catch (err) {
        last = fromSigstore(err, true);
        if (last.code === 'PayloadMismatch') throw last;
      }
    }
    throw new VerifyError('UntrustedKey', `sigstore bundle: expected a signature by one of ${policy.keys.length} trusted key(s), got none verifying`, { cause: last });
  }
  if (options.trustedRoot === undefined) throw new VerifyError('UntrustedRoot', 'sigstore bundle: expected a trusted root to verify a keyless certificate, got none; pass the trusted_root.json');
  let signer: Signer;
  try {
    const material = toTrustMaterial(TrustedRoot.fromJSON(options.trustedRoot));
    signer = new Verifier(material, { tlogThreshold: 1, ctlogThreshold: options.ctlogThreshold ?? 1, timestampThreshold: 1 }).verify(entity);
  } catch (err) {
    throw fromSigstore(err, false);
  }
  const identity = { subject: signer.identity?.subjectAlternativeName, issuer: signer.identity?.extensions?.issuer };
  checkIdentity(policy, identity);
  checkBinding(bundle, digest);
  return { kind: 'keyless', ...(identity.subject !== undefined ? { subject: identity.subject } : {}), ...(identity.issuer !== undefined ? { issuer: identity.issuer } : {}) };
}
