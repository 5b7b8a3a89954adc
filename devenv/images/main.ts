/**
 * `npm run images`: builds the operator, node runtime and nats images into an OCI layout, rewrites the
 * digests in clusters/images.json (then run `npm run synth`), and with --registry pushes them there.
 * `--check` builds and compares instead of writing: it fails when the committed digests are not
 * what the committed source builds.
 *
 *   npm run images -- [--registry <host:port>] [--layout <dir>] [--check]
 *
 * The registry may also come from FLOTILLA_IMAGE_REGISTRY (the local fleet's registry, for example).
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { copyManifest, openLayout, openStore, parseReference } from '../../artifacts/index.ts';
import { cacheRoot } from '../../examples/functions/cache.ts';
import { toolPath } from '../tools/paths.ts';
import { buildImages } from './build.ts';
import type { BuiltImage } from './build.ts';
import { ImageBuildError } from './errors.ts';
import { IMAGES } from './image.ts';
import { imagesFileText, imagesKey, pinnedImages, staleEntries } from './pins.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGES_FILE = join(REPO_ROOT, 'clusters', 'images.json');
const HOST_PORT = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const { values } = parseArgs({
  options: { registry: { type: 'string' }, layout: { type: 'string' }, check: { type: 'boolean', default: false } },
  strict: true,
});
const registry = values.registry ?? (process.env['FLOTILLA_IMAGE_REGISTRY'] || undefined);
if (registry !== undefined && !HOST_PORT.test(registry)) {
  throw new ImageBuildError('InvalidArgument', `--registry (or FLOTILLA_IMAGE_REGISTRY): expected host[:port], e.g. 127.0.0.1:5000, got ${JSON.stringify(registry)}`);
}

// Tracked files are read from the working tree: edits not committed yet give digests no fresh checkout gives.
const inputs = [...new Set(IMAGES.flatMap((i) => i.rooms))].map((r) => `${r}/`);
const dirty = execFileSync(toolPath('git'), ['status', '--porcelain', '--', ...inputs, 'package.json', 'package-lock.json', 'devenv/images/', 'constructs/nats-server.ts'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
if (dirty !== '') console.error(`warning: building from uncommitted changes; commit them and build again before committing clusters/images.json:\n${dirty}`);

const root = join(cacheRoot(), 'images');
const layoutDir = values.layout ?? join(root, 'layout');
const started = performance.now();
const built = await buildImages({ repoRoot: REPO_ROOT, layout: await openLayout(layoutDir), debCache: join(root, 'debs'), workDir: join(root, 'work'), log: (l) => console.error(l) });
console.error(`built ${built.length} images into oci-layout:${layoutDir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const committed = JSON.parse(await readFile(IMAGES_FILE, 'utf8')) as Record<string, string>;
const wanted = pinnedImages(committed, built, version);
if (values.check) {
  const stale = staleEntries(committed, wanted);
  if (stale.length > 0) {
    throw new ImageBuildError('DigestsStale', `clusters/images.json: expected the digests the committed source builds, got stale ${stale.join('; ')}; run npm run images && npm run synth and commit both`);
  }
  console.error('clusters/images.json: up to date');
} else {
  await writeFile(IMAGES_FILE, imagesFileText(committed, wanted));
  console.error('clusters/images.json: written; run npm run synth to re-render gitops/');
}

if (registry !== undefined) await push(registry, layoutDir, built, wanted);
for (const image of built) console.log(`${image.spec.name} ${image.digest}`);

async function push(host: string, layout: string, images: readonly BuiltImage[], refs: Readonly<Record<string, string>>): Promise<void> {
  const source = await openLayout(layout);
  for (const image of images) {
    const pinned = refs[imagesKey(image.spec.name, version)]!;
    // Same repository path as the pin, on the registry given: the digest does not depend on the host.
    const repository = parseReference(pinned);
    if (repository.kind !== 'registry') throw new ImageBuildError('InvalidArgument', `clusters/images.json: expected a registry reference, got ${pinned}`);
    const target = `${host}/${repository.repository}:${version}`;
    const digest = await copyManifest(source, await openStore(parseReference(target)), image.digest, { tag: version });
    console.error(`pushed ${target}@${digest}`);
  }
}
