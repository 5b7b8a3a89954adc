import { digestHex } from '../digest.ts';
import type { Descriptor, ImageManifest } from '../manifest.ts';
import { describe, encodeJson } from '../manifest.ts';
import { COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLE_SIGNING, OCI_IMAGE_CONFIG, OCI_MANIFEST } from '../media-types.ts';

/** cosign's tag for the signatures of `digest`: `sha256-<hex>.sig` in the same repository. */
export function signatureTag(digest: string): string {
  return `sha256-${digestHex(digest)}.sig`;
}

/** One signature layer to add: the payload blob and the base64 signature annotation (plus cert/bundle annotations). */
export interface SignatureLayer {
  readonly payload: Uint8Array;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The objects of a signature manifest: exact bytes of manifest and config, descriptors of payload blobs. */
export interface SignatureManifest {
  readonly manifest: ImageManifest;
  readonly manifestBytes: Uint8Array;
  readonly configBytes: Uint8Array;
}

/**
 * The signature image cosign writes: one simple-signing layer per signature, annotated with the
 * signature, and a config listing the layers (cosign's `rootfs.diff_ids`). Adding to an existing
 * manifest keeps the signatures already there, as `cosign sign` does.
 */
export function signatureManifest(existing: ImageManifest | undefined, add: SignatureLayer): SignatureManifest {
  const layer = describe(COSIGN_SIMPLE_SIGNING, add.payload, { annotations: { ...add.annotations } });
  const kept = (existing?.layers ?? []).filter(
    (l) => !(l.digest === layer.digest && l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === add.annotations[COSIGN_SIGNATURE_ANNOTATION]),
  );
  const layers: Descriptor[] = [...kept, layer];
  const config = {
    architecture: '',
    created: '0001-01-01T00:00:00Z',
    history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  };
  const configBytes = encodeJson(config);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: describe(OCI_IMAGE_CONFIG, configBytes), layers };
  return { manifest, manifestBytes: encodeJson(manifest), configBytes };
}
