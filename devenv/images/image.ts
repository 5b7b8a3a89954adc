/**
 * The images and how one is put together: an OCI image config (image-spec config.md) naming
 * the user, entrypoint, working directory and environment, and a manifest over the config and the
 * layers, written into an OCI layout. Configs carry no `created` time and no history, so the
 * manifest digest is a function of the layers and these fields alone.
 */
import type { Descriptor, OciLayoutStore } from '../../artifacts/index.ts';
import { mediaTypes } from '../../artifacts/index.ts';
import { describe, encodeJson } from '../../artifacts/manifest.ts';
import { APP_DIR } from './app-layer.ts';
import { NATS_ARGS, NATS_STORE_DIR } from '../../constructs/nats-server.ts';
import { APP_USER, NODE_PATH } from './base-layer.ts';
import { NATS_SERVER_PATH } from './nats-layer.ts';
import type { WrittenLayer } from './tar-layer.ts';

/** Every image the build makes: the keys of clusters/images.json (node-runtime's with `@<version>`) and the layout tags. */
export type ImageName = 'operator' | 'node-runtime' | 'nats';

/** One image of our CLI the build makes. */
export interface ImageSpec {
  /** The key in clusters/images.json (`operator`, or `node-runtime` + `@<version>`) and the layout tag. */
  readonly name: Exclude<ImageName, 'nats'>;
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

/** The image config bytes of one of IMAGES. */
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

/** The nats image's config bytes: nats-server as the app user, its default arguments those the StatefulSet passes. */
export function natsImageConfig(layers: readonly WrittenLayer[]): Uint8Array {
  return encodeJson({
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: `${APP_USER.uid}:${APP_USER.gid}`,
      Env: ['PATH=/usr/sbin:/usr/bin:/bin'],
      Entrypoint: [`/${NATS_SERVER_PATH}`],
      Cmd: [...NATS_ARGS],
      WorkingDir: NATS_STORE_DIR,
      Labels: { 'org.opencontainers.image.title': 'flotilla-nats' },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  });
}

/** Writes `configBytes` and a manifest over them and `layers` into `layout` (layers must be there already), tagged `name`; returns the manifest digest. */
export async function putImage(layout: OciLayoutStore, name: ImageName, configBytes: Uint8Array, layers: readonly WrittenLayer[]): Promise<string> {
  const config = describe(mediaTypes.OCI_IMAGE_CONFIG, configBytes);
  await layout.putBlob(config, { bytes: configBytes });
  const manifest = encodeJson({
    schemaVersion: 2,
    mediaType: mediaTypes.OCI_MANIFEST,
    config,
    layers: layers.map(layerDescriptor),
    annotations: { [mediaTypes.ANNOTATION_TITLE]: `flotilla-${name}` },
  });
  return layout.putManifest(manifest, mediaTypes.OCI_MANIFEST, name);
}
