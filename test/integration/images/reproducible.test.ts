/**
 * The images are reproducible and the committed pins are true: two builds of this checkout give the
 * same digests, those are the digests clusters/images.json pins (so CI rebuilding the committed
 * source checks the committed digests), and a push to a real registry serves the image under the
 * same digest.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyManifest, openLayout, openStore, parseReference } from '../../../artifacts/index.ts';
import type { OciLayoutStore } from '../../../artifacts/index.ts';
import { buildImages } from '../../../devenv/images/build.ts';
import type { BuiltImage } from '../../../devenv/images/build.ts';
import { pinnedImages, staleEntries } from '../../../devenv/images/pins.ts';
import { cacheRoot } from '../../../examples/functions/cache.ts';
import { harness, uniqueName } from '../../harness/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let work: string;
const layouts: OciLayoutStore[] = [];
const builds: BuiltImage[][] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-images-repro-'));
  // Two builds from scratch, each into its own layout and scratch dir: nothing is shared but the .deb cache.
  for (const name of ['first', 'second']) {
    const layout = await openLayout(join(work, name, 'layout'));
    layouts.push(layout);
    builds.push(await buildImages({ repoRoot: REPO_ROOT, layout, debCache: join(cacheRoot(), 'images', 'debs'), workDir: join(work, name) }));
  }
});

afterAll(() => rm(work, { recursive: true, force: true }));

const digests = (built: readonly BuiltImage[]) => Object.fromEntries(built.map((b) => [b.spec.name, { image: b.digest, layers: b.layers.map((l) => l.digest) }]));

describe('the image build', () => {
  it('gives the same digests twice, the two Node images share their base layer, and the nats image is one layer of its own', () => {
    expect(digests(builds[1]!)).toEqual(digests(builds[0]!));
    expect(builds[0]!.map((b) => b.spec.name)).toEqual(['operator', 'node-runtime', 'nats']);
    const [operator, node, nats] = builds[0]!;
    expect(operator!.layers[0]!.digest).toBe(node!.layers[0]!.digest);
    expect(operator!.digest).not.toBe(node!.digest);
    expect(nats!.layers).toHaveLength(1);
    expect(nats!.layers[0]!.digest).not.toBe(operator!.layers[0]!.digest);
  });

  it('gives the digests clusters/images.json pins (else: npm run images && npm run synth, and commit both)', async () => {
    const committed = JSON.parse(await readFile(join(REPO_ROOT, 'clusters', 'images.json'), 'utf8')) as Record<string, string>;
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(staleEntries(committed, pinnedImages(committed, builds[0]!, version))).toEqual([]);
  });

  it('pushes to a registry that then serves each image under the digest built', async () => {
    const repo = uniqueName('images');
    for (const image of builds[0]!) {
      const target = await openStore(parseReference(`${harness().registry.host}/${repo}/${image.spec.name}:test`));
      expect(await copyManifest(layouts[0]!, target, image.digest, { tag: 'test' })).toBe(image.digest);
      const served = await target.getManifest('test');
      expect(served.digest).toBe(image.digest);
      if (served.kind !== 'manifest') throw new Error('expected an image manifest');
      expect(served.manifest.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
    }
  });
});
