/**
 * Image sizes and the node runtime container's start → serving time (docs/performance.md, "Images").
 *
 *   node bench/images/start-to-serving.ts [--runs 5]
 *
 * Builds both images into a temporary layout, reports each image's size as pushed (uncompressed
 * tar layers) and gzipped (level 6, what a compressed push would move), then starts the node
 * runtime image in runc `--runs` times (a fresh rootfs each time) and reports how long each took
 * from `runc run` to the first 200 from its function. Baseline, same run: the cold-start
 * benchmark's native container (bench/runc: `echo` built static, one `runc run` per request, the
 * leanest container there is); and the same `flotilla node` command as a plain host process from
 * the checkout, which separates what the container costs from what the node's start costs. Prints
 * the machine's load with the numbers.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { openLayout } from '../../artifacts/index.ts';
import { buildImages } from '../../devenv/images/build.ts';
import { cacheRoot } from '../../examples/functions/cache.ts';
import { prepareRuncBundle, runRuncOnce } from '../runc/bundle.ts';
import { startNodeContainer, startNodeProcess } from './node-container.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs: expected an integer 1..50, got ${JSON.stringify(values.runs)}`);

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'flotilla-bench-images-'));
try {
  const layout = await openLayout(join(work, 'layout'));
  const t = performance.now();
  const built = await buildImages({ repoRoot: REPO_ROOT, layout, debCache: join(cacheRoot(), 'images', 'debs'), workDir: work });
  console.log(`build (both images, .deb files cached): ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const gzipped = new Map<string, number>();
  for (const image of built) {
    let packed = 0;
    for (const layer of image.layers) {
      if (!gzipped.has(layer.digest)) gzipped.set(layer.digest, await gzipSize(layout.blobPath(layer.digest)));
      packed += gzipped.get(layer.digest)!;
    }
    const plain = image.layers.reduce((sum, l) => sum + l.size, 0);
    console.log(`${image.spec.name}: ${mib(plain)} uncompressed (layers ${image.layers.map((l) => mib(l.size)).join(' + ')}), ${mib(packed)} gzip -6`);
  }

  const nodeImage = built.find((b) => b.spec.name === 'node-runtime')!;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = await startNodeContainer(layout, nodeImage.digest, join(work, `run-${i}`));
    times.push(started.startToServingMs);
    await started.container.stop();
  }
  const host: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = await startNodeProcess(REPO_ROOT, join(work, `host-${i}`));
    host.push(started.startToServingMs);
    await started.stop();
  }
  const { bundleDir } = await prepareRuncBundle();
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) baseline.push((await runRuncOnce(bundleDir)).runMs);
  const node = summary(times);
  const native = summary(baseline);
  console.log(`node runtime container, runc run -> first 200 from its function: ${node.text} (${runs} runs)`);
  console.log(`baseline 1, the same command as a host process (no container): ${summary(host).text}; ratio of medians ${(node.median / summary(host).median).toFixed(2)}x`);
  console.log(`baseline 2, native echo container, runc run -> exit: ${native.text}; ratio of medians ${(node.median / native.median).toFixed(1)}x`);
  console.log(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await rm(work, { recursive: true, force: true });
}

function summary(samples: readonly number[]): { median: number; text: string } {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { median, text: `median ${median.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)}` };
}

async function gzipSize(file: string): Promise<number> {
  let size = 0;
  for await (const chunk of createReadStream(file).pipe(createGzip({ level: 6 })) as AsyncIterable<Buffer>) size += chunk.byteLength;
  return size;
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
