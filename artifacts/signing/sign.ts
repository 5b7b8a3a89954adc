import { sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { OciError } from '../errors.ts';
import type { Descriptor, ImageManifest } from '../manifest.ts';
import { describe, encodeJson } from '../manifest.ts';
import { ANNOTATION_CREATED, ANNOTATION_TITLE, COSIGN_SIGNATURE_ANNOTATION, OCI_EMPTY_JSON, OCI_MANIFEST, SIGSTORE_BUNDLE_PREFIX } from '../media-types.ts';
import type { ArtifactStore } from '../store.ts';
import { COSIGN_SIGN_PREDICATE, createKeyBundle } from './bundle.ts';
import { signatureManifest, signatureTag } from './cosign-signature.ts';
import { simpleSigningPayload } from './simple-signing.ts';
import { digestHex } from '../digest.ts';

/** How to sign. */
export interface SignOptions {
  readonly key: KeyObject;
  /** `host/repo` written into the payload's docker-reference, as cosign writes it. */
  readonly repository: string;
  /**
   * Also attach a Sigstore bundle as a referrer: `auto` where the store serves referrers natively
   * (registries without the API would need the tag-scheme index, which cosign's tag-scheme verify
   * does not read), `always` even then, `never`. @default 'auto'
   */
  readonly bundle?: 'auto' | 'always' | 'never';
  /** Creation time of the bundle manifest annotation. @default now */
  readonly created?: Date;
}

/** Where the signatures went. */
export interface SignResult {
  readonly signatureTag: string;
  readonly signatureManifest: string;
  readonly bundleManifest?: string;
}

/**
 * Signs the manifest `digest` the way `cosign sign --key` does: the simple-signing payload signed
 * with ECDSA P-256/SHA-256, stored as a layer of the `sha256-<hex>.sig` image (existing signatures
 * kept) with the `dev.cosignproject.cosign/signature` annotation. Then, unless disabled, a DSSE
 * Sigstore bundle of cosign's sign statement attached as a referrer.
 */
export async function signArtifact(store: ArtifactStore, digest: string, options: SignOptions): Promise<SignResult> {
  const subject = await store.resolve(digest);
  if (subject === undefined) throw new OciError('ManifestNotFound', `${store.location}@${digest}: expected the artifact to sign, got none; push it first`);
  const payload = simpleSigningPayload(options.repository, digest);
  const signature = cryptoSign('sha256', payload, options.key).toString('base64');
  const tag = signatureTag(digest);
  const existing = (await store.resolve(tag)) !== undefined ? await store.getManifest(tag) : undefined;
  const sig = signatureManifest(existing?.kind === 'manifest' ? existing.manifest : undefined, { payload, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature } });
  await store.putBlob(sig.manifest.config, { bytes: sig.configBytes });
  await store.putBlob(describe(sig.manifest.layers.at(-1)?.mediaType ?? '', payload), { bytes: payload });
  const signatureManifestDigest = await store.putManifest(sig.manifestBytes, OCI_MANIFEST, tag);
  const bundle = options.bundle ?? 'auto';
  if (bundle === 'never' || (bundle === 'auto' && !(await store.supportsReferrers(digest)))) {
    return { signatureTag: tag, signatureManifest: signatureManifestDigest };
  }

  const bundleManifest = await attachBundle(store, subject, createKeyBundle(options.key, digest), options.created ?? new Date());
  return { signatureTag: tag, signatureManifest: signatureManifestDigest, bundleManifest };
}

/**
 * Attaches a Sigstore bundle to `subject` the way cosign does (cosign BUNDLE_SPEC): empty config,
 * one bundle layer, `subject` set, so registries with the referrers API index it; where the API is
 * missing the store maintains the `sha256-<hex>` tag-scheme index. Returns the referrer's digest.
 */
export async function attachBundle(store: ArtifactStore, subject: Descriptor, bundleBytes: Uint8Array, created: Date): Promise<string> {
  let parsed: { mediaType?: unknown; dsseEnvelope?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(bundleBytes).toString('utf8')) as typeof parsed;
  } catch (cause) {
    throw new OciError('InvalidArtifact', 'sigstore bundle: expected JSON, got unparseable bytes', { cause });
  }
  const mediaType = typeof parsed.mediaType === 'string' && parsed.mediaType.startsWith(SIGSTORE_BUNDLE_PREFIX) ? parsed.mediaType : undefined;
  if (mediaType === undefined) throw new OciError('InvalidArtifact', `sigstore bundle: expected a mediaType ${SIGSTORE_BUNDLE_PREFIX}..., got ${JSON.stringify(parsed.mediaType)}`);
  const empty = Buffer.from('{}');
  const emptyDesc = describe(OCI_EMPTY_JSON, empty);
  const bundleDigest = describe(mediaType, bundleBytes).digest;
  const bundleDesc = describe(mediaType, bundleBytes, { annotations: { [ANNOTATION_TITLE]: `sha256-${digestHex(bundleDigest)}.sigstore.json` } });
  await store.putBlob(emptyDesc, { bytes: empty });
  await store.putBlob(bundleDesc, { bytes: bundleBytes });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: mediaType,
    config: emptyDesc,
    layers: [bundleDesc],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: {
      'dev.sigstore.bundle.content': parsed.dsseEnvelope !== undefined ? 'dsse-envelope' : 'message-signature',
      ...(parsed.dsseEnvelope !== undefined ? { 'dev.sigstore.bundle.predicateType': COSIGN_SIGN_PREDICATE } : {}),
      [ANNOTATION_CREATED]: created.toISOString(),
    },
  };
  return store.putManifest(encodeJson(manifest), OCI_MANIFEST);
}
