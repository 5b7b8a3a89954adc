import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDigest } from './digest.ts';
import { OciError } from './errors.ts';
import type { OciLayoutStore } from './layout/oci-layout.ts';
import type { Descriptor, ImageManifest } from './manifest.ts';
import { OCI_EMPTY_JSON, OCI_MANIFEST, SIGSTORE_BUNDLE_PREFIX } from './media-types.ts';
import type { ArtifactStore } from './store.ts';
import { DEFAULT_LIMITS } from './store.ts';
import type { WasmArtifact, WasmConfig } from './wasm-artifact.ts';
import { parseWasmConfig, wasmLayerOf } from './wasm-artifact.ts';
import { signatureTag } from './signing/cosign-signature.ts';

/** Progress events for the CLI's stderr; the library itself never prints. */
export type Progress = (event: { readonly step: string; readonly digest?: string; readonly bytes?: number }) => void;

/**
 * Pushes a built artifact: layer and config first, manifest last (by digest, or by tag when given),
 * so a tag never points at a manifest whose blobs are missing even if the push dies half-way.
 */
export async function pushWasmArtifact(store: ArtifactStore, artifact: WasmArtifact, options: { tag?: string; progress?: Progress; mountFrom?: string } = {}): Promise<string> {
  const { progress } = options;
  progress?.({ step: 'upload layer', digest: artifact.layerDescriptor.digest, bytes: artifact.layerDescriptor.size });
  await store.putBlob(artifact.layerDescriptor, { bytes: artifact.layerBytes }, options.mountFrom);
  progress?.({ step: 'upload config', digest: artifact.configDescriptor.digest, bytes: artifact.configDescriptor.size });
  await store.putBlob(artifact.configDescriptor, { bytes: artifact.configBytes }, options.mountFrom);
  progress?.({ step: options.tag !== undefined ? `put manifest :${options.tag}` : 'put manifest', digest: artifact.manifestDigest });
  const digest = await store.putManifest(artifact.manifestBytes, OCI_MANIFEST, options.tag);
  if (digest !== artifact.manifestDigest) throw new OciError('DigestMismatch', `${store.location}: expected manifest ${artifact.manifestDigest}, got ${digest}`);
  return digest;
}

/** A Wasm module pulled into a local layout, every byte verified against the manifest digest. */
export interface PulledWasm {
  readonly digest: string;
  readonly manifest: ImageManifest;
  readonly config: WasmConfig;
  readonly layer: Descriptor;
  /** The verified module on disk (the layout's content-addressed blob). */
  readonly wasmPath: string;
  /** Signature objects copied with it (tag-scheme manifests and bundle referrers). */
  readonly signaturesCopied: number;
}

/**
 * Pulls a Wasm artifact from `source` into the layout `target`: manifest by tag or digest, then the
 * config (checked against the TAG-Runtime schema) and the wasm layer, streamed, size- and
 * digest-checked, renamed into place only when whole. The manifest is written last, so a crash never
 * leaves a manifest whose blobs are missing. Signatures are copied too unless told otherwise, so the
 * layout can be verified offline later.
 */
export async function pullWasm(
  source: ArtifactStore,
  reference: string,
  target: OciLayoutStore,
  options: { tag?: string; withSignatures?: boolean; progress?: Progress } = {},
): Promise<PulledWasm> {
  const { progress } = options;
  const fetched = await source.getManifest(reference);
  const what = `${source.location}@${fetched.digest}`;
  if (fetched.kind !== 'manifest') throw new OciError('InvalidArtifact', `${what}: expected a Wasm image manifest, got an image index (${fetched.mediaType})`);
  if (isDigest(reference) && fetched.digest !== reference) throw new OciError('DigestMismatch', `${what}: expected ${reference}, got ${fetched.digest}`);
  const layer = wasmLayerOf(fetched.manifest, what);
  const configBytes = await source.getBlob(fetched.manifest.config);
  const config = parseWasmConfig(configBytes, fetched.manifest, what);
  await target.putBlob(fetched.manifest.config, { bytes: configBytes });
  // A blob already in the layout is re-hashed, not trusted: the cache is checked on read.
  if (!(await target.verifyBlob(layer))) {
    progress?.({ step: 'download layer', digest: layer.digest, bytes: layer.size });
    await source.fetchBlobToFile(layer, target.blobPath(layer.digest));
  }
  const signaturesCopied = options.withSignatures === false ? 0 : await copySignatures(source, target, fetched.digest);
  // A pull by tag keeps the tag in the layout (pinned to what was verified); by digest, untagged.
  await target.putManifest(fetched.bytes, fetched.mediaType, options.tag ?? (isDigest(reference) ? undefined : reference));
  return { digest: fetched.digest, manifest: fetched.manifest, config, layer, wasmPath: target.blobPath(layer.digest), signaturesCopied };
}

/** Copies one manifest (and, for an index, its children) with all blobs; tag applied last. */
export async function copyManifest(source: ArtifactStore, target: ArtifactStore, reference: string, options: { tag?: string } = {}): Promise<string> {
  const fetched = await source.getManifest(reference);
  if (fetched.kind === 'index') {
    for (const child of fetched.index.manifests) await copyManifest(source, target, child.digest);
  } else {
    for (const blob of [fetched.manifest.config, ...fetched.manifest.layers]) await copyBlob(source, target, blob);
  }
  return target.putManifest(fetched.bytes, fetched.mediaType, options.tag);
}

/** Copies the tag-scheme signature manifest and the signature referrers of `digest`. Returns how many were copied. */
export async function copySignatures(source: ArtifactStore, target: ArtifactStore, digest: string): Promise<number> {
  let copied = 0;
  const tag = signatureTag(digest);
  if ((await source.resolve(tag)) !== undefined) {
    await copyManifest(source, target, tag, { tag });
    copied++;
  }
  // Only what can carry a signature (bundles; some registries report them by their empty config
  // type): SBOMs and other attachments are not needed to verify and may be large.
  const signatures = (await source.referrers(digest)).filter((r) => r.artifactType === undefined || r.artifactType === OCI_EMPTY_JSON || r.artifactType.startsWith(SIGSTORE_BUNDLE_PREFIX));
  for (const referrer of signatures) {
    await copyManifest(source, target, referrer.digest);
    copied++;
  }
  return copied;
}

async function copyBlob(source: ArtifactStore, target: ArtifactStore, blob: Descriptor): Promise<void> {
  if (await target.hasBlob(blob.digest)) return;
  if (blob.size <= DEFAULT_LIMITS.smallBlobBytes) {
    await target.putBlob(blob, { bytes: await source.getBlob(blob) });
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-copy-'));
  try {
    const file = join(dir, randomBytes(6).toString('hex'));
    await source.fetchBlobToFile(blob, file);
    await target.putBlob(blob, { file });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
