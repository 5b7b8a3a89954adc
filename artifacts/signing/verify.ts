import { verify as cryptoVerify } from 'node:crypto';
import { OciError, VerifyError } from '../errors.ts';
import type { FetchedManifest } from '../manifest.ts';
import { COSIGN_CERTIFICATE_ANNOTATION, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLE_SIGNING, OCI_EMPTY_JSON, SIGSTORE_BUNDLE_PREFIX } from '../media-types.ts';
import type { ArtifactStore } from '../store.ts';
import type { BundleVerifyOptions } from './bundle.ts';
import { verifyBundle } from './bundle.ts';
import { signatureTag } from './cosign-signature.ts';
import type { CompiledPolicy, TrustPolicy } from './policy.ts';
import { compilePolicy, mostSpecific } from './policy.ts';
import { checkSimpleSigningPayload } from './simple-signing.ts';

/** One signature that verified. */
export interface VerifiedSignature {
  readonly scheme: 'cosign-tag' | 'sigstore-bundle';
  readonly kind: 'key' | 'keyless';
  /** PEM of the trusted key that verified (key signatures). */
  readonly key?: string;
  readonly subject?: string;
  readonly issuer?: string;
  /** The signature manifest it came from. */
  readonly source: string;
}

/** The outcome of a successful verification: the pinned digest and every signature that held. */
export interface Verification {
  readonly digest: string;
  readonly signatures: readonly VerifiedSignature[];
}

export type VerifyOptions = BundleVerifyOptions;

/**
 * Verifies that the manifest `digest` in `store` is signed per `policy`: cosign tag-scheme signatures
 * (`sha256-<hex>.sig`) and Sigstore bundles among its referrers. Succeeds when at least one signature
 * holds; otherwise throws the most telling VerifyError of those tried, or NoSignature.
 */
export async function verifySignatures(store: ArtifactStore, digest: string, policy: TrustPolicy | CompiledPolicy, options: VerifyOptions = {}): Promise<Verification> {
  const compiled = isCompiled(policy) ? policy : compilePolicy(policy);
  const subject = await store.getManifest(digest).catch((err: unknown) => {
    if (err instanceof OciError && (err.code === 'DigestMismatch' || err.code === 'SizeMismatch')) throw new VerifyError('DigestMismatch', err.message, { cause: err });
    throw err;
  });
  const failures: VerifyError[] = [];
  const verified: VerifiedSignature[] = [];
  const tag = signatureTag(digest);
  if ((await store.resolve(tag)) !== undefined) {
    const sigManifest = await store.getManifest(tag);
    verified.push(...(await checkTagSignatures(store, sigManifest, digest, compiled, failures)));
  }
  const referrers = await store.referrers(digest);
  // Some registries report the config media type (empty) instead of the manifest's artifactType.
  for (const ref of referrers.filter((r) => r.artifactType === undefined || r.artifactType === OCI_EMPTY_JSON || r.artifactType.startsWith(SIGSTORE_BUNDLE_PREFIX))) {
    try {
      const m = await store.getManifest(ref.digest);
      const layer = m.kind === 'manifest' ? m.manifest.layers.find((l) => l.mediaType.startsWith(SIGSTORE_BUNDLE_PREFIX)) : undefined;
      if (layer === undefined) {
        if (ref.artifactType?.startsWith(SIGSTORE_BUNDLE_PREFIX) !== true) continue;
        throw new VerifyError('MalformedSignature', `${store.location}@${ref.digest}: expected a Sigstore bundle layer, got none`);
      }
      const result = verifyBundle(await store.getBlob(layer), digest, subject.bytes, compiled, options);
      verified.push({ scheme: 'sigstore-bundle', ...result, source: ref.digest });
    } catch (err) {
      failures.push(toVerifyError(err));
    }
  }
  if (verified.length > 0) return { digest, signatures: verified };
  throw (
    mostSpecific(failures) ??
    new VerifyError('NoSignature', `${store.location}@${digest}: expected a cosign signature (${tag}) or a Sigstore bundle referrer, got none; sign it with flotilla sign or cosign sign`)
  );
}

function isCompiled(policy: TrustPolicy | CompiledPolicy): policy is CompiledPolicy {
  return policy.keys.some((k) => typeof k === 'object') || policy.identities.some((i) => 'source' in i);
}

async function checkTagSignatures(store: ArtifactStore, sig: FetchedManifest, digest: string, policy: CompiledPolicy, failures: VerifyError[]): Promise<VerifiedSignature[]> {
  if (sig.kind !== 'manifest') {
    failures.push(new VerifyError('MalformedSignature', `${store.location}:${signatureTag(digest)}: expected a signature image manifest, got an index`));
    return [];
  }
  const out: VerifiedSignature[] = [];
  for (const layer of sig.manifest.layers.filter((l) => l.mediaType === COSIGN_SIMPLE_SIGNING)) {
    try {
      const b64 = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
      if (b64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
        throw new VerifyError('MalformedSignature', `${store.location}:${signatureTag(digest)} layer ${layer.digest}: expected a base64 ${COSIGN_SIGNATURE_ANNOTATION} annotation, got ${b64 === undefined ? 'none' : JSON.stringify(b64.slice(0, 40))}`);
      }
      const signature = Buffer.from(b64, 'base64');
      const payload = await store.getBlob(layer);
      const key = policy.keys.find(({ key }) => cryptoVerify('sha256', payload, key, signature));
      if (key === undefined) {
        const keyless = layer.annotations?.[COSIGN_CERTIFICATE_ANNOTATION] !== undefined;
        throw new VerifyError(
          'UntrustedKey',
          keyless
            ? `${store.location}:${signatureTag(digest)}: expected a signature by a trusted key, got a keyless tag-scheme signature; keyless signatures are verified from Sigstore bundles (cosign sign --new-bundle-format)`
            : `${store.location}:${signatureTag(digest)}: expected a signature by one of ${policy.keys.length} trusted key(s), got one that none of them verifies`,
        );
      }
      checkSimpleSigningPayload(payload, digest);
      out.push({ scheme: 'cosign-tag', kind: 'key', key: key.pem, source: sig.digest });
    } catch (err) {
      failures.push(toVerifyError(err));
    }
  }
  if (out.length === 0 && sig.manifest.layers.every((l) => l.mediaType !== COSIGN_SIMPLE_SIGNING)) {
    failures.push(new VerifyError('MalformedSignature', `${store.location}:${signatureTag(digest)}: expected ${COSIGN_SIMPLE_SIGNING} layers, got ${sig.manifest.layers.map((l) => l.mediaType).join(', ') || 'none'}`));
  }
  return out;
}

/** Transport failures mean "could not check", not "checked and refused": they propagate as OciError. */
const TRANSPORT: ReadonlySet<string> = new Set(['RegistryUnavailable', 'Timeout', 'Unauthorized', 'Denied', 'ProtocolError', 'InsecureRegistry']);

function toVerifyError(err: unknown): VerifyError {
  if (err instanceof VerifyError) return err;
  if (err instanceof OciError && !TRANSPORT.has(err.code)) {
    return new VerifyError('MalformedSignature', `signature object: expected a well-formed signature artifact, got ${err.code}: ${err.message}`, { cause: err });
  }
  throw err;
}
