import type { Descriptor, FetchedManifest } from './manifest.ts';

/** Size ceilings for bodies we read; a registry cannot make us buffer or store more than this. */
export interface SizeLimits {
  /** Manifests and indexes. @default 4 MiB (the distribution spec's recommended ceiling) */
  readonly manifestBytes: number;
  /** Small blobs read into memory: configs, signature payloads, bundles. @default 4 MiB */
  readonly smallBlobBytes: number;
  /** Blobs streamed to disk (the wasm layer). @default 512 MiB */
  readonly blobBytes: number;
}

export const DEFAULT_LIMITS: SizeLimits = { manifestBytes: 4 << 20, smallBlobBytes: 4 << 20, blobBytes: 512 << 20 };

/** Bytes to upload: in memory or a file streamed from disk. */
export type BlobSource = { readonly bytes: Uint8Array } | { readonly file: string };

/**
 * One repository of content-addressed objects: a remote registry repository or a local OCI image
 * layout. Every read is verified against the digest and size asked for before it is returned.
 */
export interface ArtifactStore {
  /** Human-readable location for messages (`host/repo`, `oci-layout:/path`). */
  readonly location: string;
  /** Descriptor of the manifest a tag or digest points at, or undefined when absent. */
  resolve(reference: string): Promise<Descriptor | undefined>;
  /** The manifest for a tag or digest; digest, size and media type checked. */
  getManifest(reference: string, expect?: { size?: number; mediaType?: string }): Promise<FetchedManifest>;
  /** Stores manifest bytes by digest and, when given, under a tag. Returns the digest. */
  putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<string>;
  hasBlob(digest: string): Promise<boolean>;
  /** A small blob read into memory (limit: smallBlobBytes), verified. */
  getBlob(descriptor: Descriptor): Promise<Uint8Array>;
  /** A blob streamed to `file` (written to a temp name, verified, fsynced, renamed). */
  fetchBlobToFile(descriptor: Descriptor, file: string): Promise<void>;
  /** Uploads a blob unless present; `mountFrom` tries a cross-repository mount first. */
  putBlob(descriptor: Descriptor, source: BlobSource, mountFrom?: string): Promise<void>;
  listTags(): Promise<string[]>;
  /** True when referrers are served natively (OCI 1.1 referrers API, or a layout's index). */
  supportsReferrers(digest: string): Promise<boolean>;
  /** Manifests whose `subject` is `digest`, optionally filtered by artifact type. */
  referrers(digest: string, artifactType?: string): Promise<Descriptor[]>;
}
