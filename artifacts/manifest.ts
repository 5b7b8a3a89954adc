import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { DIGEST_PATTERN } from '../api/digest.ts';
import { checkDigest, sha256Digest as sha256 } from './digest.ts';
import { OciError } from './errors.ts';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from './media-types.ts';

const Digest = Type.String({ pattern: DIGEST_PATTERN });
const Annotations = Type.Record(Type.String(), Type.String());

/** An OCI content descriptor. */
export const DescriptorSchema = Type.Object({
  mediaType: Type.String({ minLength: 1 }),
  digest: Digest,
  size: Type.Integer({ minimum: 0 }),
  artifactType: Type.Optional(Type.String()),
  annotations: Type.Optional(Annotations),
  urls: Type.Optional(Type.Array(Type.String())),
  platform: Type.Optional(Type.Unknown()),
  data: Type.Optional(Type.String()),
});
export type Descriptor = Type.Static<typeof DescriptorSchema>;

/** An OCI image manifest (and docker schema2, which has the same shape). */
export const ImageManifestSchema = Type.Object({
  schemaVersion: Type.Literal(2),
  mediaType: Type.Optional(Type.String()),
  artifactType: Type.Optional(Type.String()),
  config: DescriptorSchema,
  layers: Type.Array(DescriptorSchema),
  subject: Type.Optional(DescriptorSchema),
  annotations: Type.Optional(Annotations),
});
export type ImageManifest = Type.Static<typeof ImageManifestSchema>;

/** An OCI image index (and docker manifest list). */
export const ImageIndexSchema = Type.Object({
  schemaVersion: Type.Literal(2),
  mediaType: Type.Optional(Type.String()),
  artifactType: Type.Optional(Type.String()),
  manifests: Type.Array(DescriptorSchema),
  subject: Type.Optional(DescriptorSchema),
  annotations: Type.Optional(Annotations),
});
export type ImageIndex = Type.Static<typeof ImageIndexSchema>;

const checkManifest = Compile(ImageManifestSchema);
const checkIndex = Compile(ImageIndexSchema);

/** A manifest as fetched: its exact bytes (what the digest covers), its digest, media type and parsed body. */
export type FetchedManifest =
  | { readonly kind: 'manifest'; readonly mediaType: string; readonly digest: string; readonly bytes: Uint8Array; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly mediaType: string; readonly digest: string; readonly bytes: Uint8Array; readonly index: ImageIndex };

const MANIFEST_MEDIA = new Set([OCI_MANIFEST, DOCKER_MANIFEST]);
const INDEX_MEDIA = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);

/** True for media types we parse as a manifest or index. */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA.has(mediaType) || INDEX_MEDIA.has(mediaType);
}

function firstErrors(errors: Iterable<{ instancePath: string; message: string }>): string {
  return [...errors].slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

/**
 * Parses manifest bytes received for `what` and refuses them unless the digest, size and media type agree
 * with what was asked for and with the body's own `mediaType` field (which a registry cannot spoof
 * without changing the digest).
 */
export function parseManifest(
  bytes: Uint8Array,
  what: string,
  expect: { digest?: string; size?: number; mediaType?: string; contentType?: string },
): FetchedManifest {
  if (expect.size !== undefined && bytes.byteLength !== expect.size) {
    throw new OciError('SizeMismatch', `${what}: expected manifest size ${expect.size} bytes, got ${bytes.byteLength}`);
  }
  if (expect.digest !== undefined) checkDigest(bytes, expect.digest, `${what} manifest`);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new OciError('InvalidManifest', `${what}: expected a JSON manifest, got unparseable bytes`, { cause });
  }
  const declared = typeof body === 'object' && body !== null && 'mediaType' in body && typeof body.mediaType === 'string' ? body.mediaType : undefined;
  const isIndex = typeof body === 'object' && body !== null && 'manifests' in body;
  const mediaType = declared ?? (isIndex ? OCI_INDEX : OCI_MANIFEST);
  if (!isManifestMediaType(mediaType)) {
    throw new OciError('MediaTypeMismatch', `${what}: expected a manifest media type (${[...MANIFEST_MEDIA, ...INDEX_MEDIA].join(', ')}), got ${mediaType}`);
  }
  for (const [label, other] of [['requested', expect.mediaType], ['Content-Type', expect.contentType]] as const) {
    if (other !== undefined && declared !== undefined && other !== declared) {
      throw new OciError('MediaTypeMismatch', `${what}: expected ${label} media type ${other}, got ${declared} in the manifest body`);
    }
  }
  const digest = expect.digest ?? sha256(bytes);
  if (INDEX_MEDIA.has(mediaType)) {
    if (!checkIndex.Check(body)) throw new OciError('InvalidManifest', `${what}: invalid image index: ${firstErrors(checkIndex.Errors(body))}`);
    return { kind: 'index', mediaType, digest, bytes, index: body };
  }
  if (!checkManifest.Check(body)) throw new OciError('InvalidManifest', `${what}: invalid image manifest: ${firstErrors(checkManifest.Errors(body))}`);
  return { kind: 'manifest', mediaType, digest, bytes, manifest: body };
}

/** Canonical manifest bytes: keys in the order the OCI spec lists them, no whitespace (what oras and cosign emit). */
export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Descriptor of some bytes. */
export function describe(mediaType: string, bytes: Uint8Array, extra?: { annotations?: Record<string, string>; artifactType?: string }): Descriptor {
  return {
    mediaType,
    digest: sha256(bytes),
    size: bytes.byteLength,
    ...(extra?.artifactType !== undefined ? { artifactType: extra.artifactType } : {}),
    ...(extra?.annotations !== undefined && Object.keys(extra.annotations).length > 0 ? { annotations: sortKeys(extra.annotations) } : {}),
  };
}

/** A copy with keys sorted, so annotation maps serialize the same everywhere (Go sorts map keys too). */
export function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
