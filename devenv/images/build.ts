/**
 * Builds the operator, node runtime and nats images from a checkout into an OCI layout, with no
 * container daemon: one base layer the first two share, one app layer each; the nats image is one
 * layer of its own. The same checkout (tracked files, package-lock.json, the pins in base.json)
 * always gives the same digests.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciLayoutStore } from '../../artifacts/index.ts';
import { appLayer } from './app-layer.ts';
import { baseLayer, basePins } from './base-layer.ts';
import type { ImageName } from './image.ts';
import { IMAGES, imageConfig, layerDescriptor, natsImageConfig, putImage } from './image.ts';
import { natsLayer } from './nats-layer.ts';
import { writeTarLayer } from './tar-layer.ts';
import type { WrittenLayer } from './tar-layer.ts';

/** What one build made. */
export interface BuiltImage {
  readonly spec: { readonly name: ImageName };
  /** Manifest digest: what clusters/images.json pins. */
  readonly digest: string;
  /** Base layer first. */
  readonly layers: readonly WrittenLayer[];
}

export interface BuildOptions {
  /** The checkout to build from (package.json, package-lock.json, node_modules, the rooms). */
  readonly repoRoot: string;
  /** The layout to write into (created if absent); each image is tagged with its name. */
  readonly layout: OciLayoutStore;
  /** Where the pinned .deb files are kept between builds. */
  readonly debCache: string;
  /** Scratch space for layer tars; removed afterwards. */
  readonly workDir: string;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** Builds every image of IMAGES, then the nats image (last, so the first two are IMAGES in order). */
export async function buildImages(options: BuildOptions): Promise<BuiltImage[]> {
  const log = options.log ?? (() => {});
  await mkdir(options.workDir, { recursive: true });
  const scratch = await mkdtemp(join(options.workDir, 'layers-'));
  try {
    const pins = await basePins();
    const base = await layer(options.layout, join(scratch, 'base.tar'), await baseLayer(options.repoRoot, pins, options.debCache, log));
    log(`base layer ${base.digest} (${mib(base.size)})`);
    const built: BuiltImage[] = [];
    for (const spec of IMAGES) {
      const app = await appLayer(options.repoRoot, spec.rooms);
      const appTar = await layer(options.layout, join(scratch, `${spec.name}.tar`), app.entries);
      const digest = await putImage(options.layout, spec.name, imageConfig(spec, [base, appTar]), [base, appTar]);
      log(`${spec.name}: app layer ${appTar.digest} (${mib(appTar.size)}, ${app.packages.length} packages), image ${digest}`);
      built.push({ spec, digest, layers: [base, appTar] });
    }
    const nats = await layer(options.layout, join(scratch, 'nats.tar'), await natsLayer(pins, options.debCache, log));
    const digest = await putImage(options.layout, 'nats', natsImageConfig([nats]), [nats]);
    log(`nats: layer ${nats.digest} (${mib(nats.size)}), image ${digest}`);
    built.push({ spec: { name: 'nats' }, digest, layers: [nats] });
    return built;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function layer(layout: OciLayoutStore, file: string, entries: Parameters<typeof writeTarLayer>[0]): Promise<WrittenLayer> {
  const written = await writeTarLayer(entries, file);
  await layout.putBlob(layerDescriptor(written), { file });
  return written;
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
