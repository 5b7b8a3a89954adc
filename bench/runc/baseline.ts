/**
 * Measures the runc baseline on its own: `node bench/runc/baseline.ts [runs]` prints the samples
 * and their median as JSON on stdout. The cold-start benchmark calls runRuncOnce in the same run as
 * the Wasm measurements; this entry is for checking the baseline and the machine.
 */
import { pathToFileURL } from 'node:url';
import { prepareRuncBundle, runRuncOnce } from './bundle.ts';

export interface RuncBaseline {
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly samplesMs: readonly number[];
}

/** Runs the baseline container `runs` times (after one warm-up that fills the page cache). */
export async function measureRuncBaseline(runs: number, log: (line: string) => void = () => {}): Promise<RuncBaseline> {
  const { bundleDir } = await prepareRuncBundle({ log });
  await runRuncOnce(bundleDir);
  const samplesMs: number[] = [];
  for (let i = 0; i < runs; i++) samplesMs.push((await runRuncOnce(bundleDir)).runMs);
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { runs, medianMs, minMs: sorted[0]!, maxMs: sorted.at(-1)!, samplesMs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? '10');
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`runs: expected a positive integer, got '${process.argv[2]}'\n`);
    process.exitCode = 2;
  } else {
    const result = await measureRuncBaseline(runs, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
}
