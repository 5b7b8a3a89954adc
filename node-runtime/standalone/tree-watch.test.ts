import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchTree, type TreeWatch } from './tree-watch.ts';

// Real inotify on a temp dir: each way a file can change must be seen, again and again.
describe('watchTree', () => {
  let w: TreeWatch | undefined;
  afterEach(() => w?.close());

  async function setup(pollMs = 60_000) {
    const root = await mkdtemp(join(tmpdir(), 'flotilla-watch-'));
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'sub', 'f.yaml'), 'a');
    let changes = 0;
    w = watchTree(root, () => changes++, { include: (f) => f.endsWith('.yaml'), pollMs });
    await new Promise((r) => setTimeout(r, 100));
    const seen = async (action: () => Promise<void>) => {
      const before = changes;
      await action();
      await expect.poll(() => changes, { timeout: 3000, interval: 20 }).toBeGreaterThan(before);
    };
    return { root, seen };
  }

  it('sees every atomic rename over a file, not only the first', async () => {
    const { root, seen } = await setup();
    for (const n of [1, 2, 3]) {
      await seen(async () => {
        await writeFile(join(root, `tmp-${n}`), `v${n}`);
        await rename(join(root, `tmp-${n}`), join(root, 'sub', 'f.yaml'));
      });
    }
  });

  it('sees in-place writes, new subdirectories and files in them, and deletions', async () => {
    const { root, seen } = await setup();
    await seen(() => writeFile(join(root, 'sub', 'f.yaml'), 'b'));
    await seen(() => mkdir(join(root, 'new')));
    await new Promise((r) => setTimeout(r, 100));
    await seen(() => writeFile(join(root, 'new', 'g.yaml'), 'x'));
    await seen(() => writeFile(join(root, 'new', 'g.yaml'), 'y'));
    await seen(() => rm(join(root, 'sub', 'f.yaml')));
  });

  it('sees the directory holding the files being swapped for another', async () => {
    const { root, seen } = await setup(200);
    await mkdir(join(root, 'next'));
    await writeFile(join(root, 'next', 'f.yaml'), 'swapped');
    await seen(async () => {
      await rename(join(root, 'sub'), join(root, 'old'));
      await rename(join(root, 'next'), join(root, 'sub'));
    });
  });
});
