/**
 * The two images and how one is put together: an OCI image config (image-spec config.md) naming
 * the user, entrypoint, working directory and environment, and a manifest over the config and the
 * layers, written into an OCI layout. Configs carry no `created` time and no history, so the
 * manifest digest is a function of the layers and these fields alone.
 */
import type { Descriptor, OciLayoutStore } from '../../artifacts/index.ts';
import { mediaTypes } from '../../artifacts/index.ts';
import { describe, encodeJson } from '../../artifacts/manifest.ts';
import { APP_DIR } from './app-layer.ts';
import { APP_USER, NODE_PATH } from './base-layer.ts';
import type { WrittenLayer } from './tar-layer.ts';

/** One image the build makes. */
export interface ImageSpec {
  /** The key in clusters/images.json (`operator`, or `node-runtime` + `@<version>`) and the layout tag. */
  readonly name: 'operator' | 'node-runtime';
  /** Top-level folders the app layer holds: what the command imports (image-rooms.test.ts keeps this true). */
  readonly rooms: readonly string[];
  /** Default arguments after `node cli/main.ts`: the subcommand. */
  readonly cmd: readonly string[];
}

/** The operator and the node runtime: one CLI, each with only the folders its subcommand runs. */
export const IMAGES: readonly ImageSpec[] = [
  { name: 'operator', rooms: ['api', 'kube', 'artifacts', 'operator', 'cli'], cmd: ['operator'] },
  { name: 'node-runtime', rooms: ['api', 'kube', 'artifacts', 'node-runtime', 'cli'], cmd: ['node'] },
];

/** A layer as the manifest and the config name it (uncompressed: the digest is also the diff_id). */
export function layerDescriptor(layer: WrittenLayer): Descriptor {
  return { mediaType: mediaTypes.OCI_LAYER_TAR, digest: layer.digest, size: layer.size };
}

/** The image config bytes. */
export function imageConfig(spec: ImageSpec, layers: readonly WrittenLayer[]): Uint8Array {
  return encodeJson({
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: `${APP_USER.uid}:${APP_USER.gid}`,
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin', `HOME=/${APP_USER.home}`, 'NODE_ENV=production'],
      Entrypoint: [`/${NODE_PATH}`, 'cli/main.ts'],
      Cmd: [...spec.cmd],
      WorkingDir: `/${APP_DIR}`,
      Labels: { 'org.opencontainers.image.title': `flotilla-${spec.name}` },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  });
}

/** Writes config and manifest into `layout` (layers must be there already), tagged with the image name; returns the manifest digest. */
export async function putImage(layout: OciLayoutStore, spec: ImageSpec, layers: readonly WrittenLayer[]): Promise<string> {
  const configBytes = imageConfig(spec, layers);
  const config = describe(mediaTypes.OCI_IMAGE_CONFIG, configBytes);
  await layout.putBlob(config, { bytes: configBytes });
  const manifest = encodeJson({
    schemaVersion: 2,
    mediaType: mediaTypes.OCI_MANIFEST,
    config,
    layers: layers.map(layerDescriptor),
    annotations: { [mediaTypes.ANNOTATION_TITLE]: `flotilla-${spec.name}` },
  });
  return layout.putManifest(manifest, mediaTypes.OCI_MANIFEST, spec.name);
}
