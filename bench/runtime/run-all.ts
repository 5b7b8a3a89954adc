/**
 * `npm run bench`: the node runtime benchmarks of docs/performance.md, bounded (about two minutes),
 * loopback only. Every figure is a ratio against a baseline measured in the same run; medians of
 * several runs with their spread. Prints progress on stderr and a JSON summary on stdout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spread } from '../triggers/stats.ts';
import { measureColdStart, type TimedStages } from './cold-start.ts';
import { measureDensity } from './density.ts';
import { measureMemory } from './memory.ts';
import { measureScrape } from './metrics-scrape.ts';
import { measureRouteLookup } from './route-lookup.ts';
import { measureOverhead } from './overhead.ts';
import { measureThroughput } from './throughput.ts';
import { measureSideBySide } from './wasmtime.ts';

const log = (l: string) => process.stderr.write(`${l}\n`);

/** Medians (min–max) of the node's stages over samples, and how many first requests ran inline. */
function stageSummary(samples: readonly TimedStages[]): Record<string, string | number> {
  const of = (pick: (s: TimedStages) => number | undefined, digits: number) => {
    const v = samples.map(pick).filter((x): x is number => x !== undefined);
    return v.length === 0 ? '-' : spread(v, digits);
  };
  return {
    applyMs: of((s) => s.applyMs, 3),
    applyToLoadedMs: of((s) => s.loadedMs, 3),
    applyToInlineMs: of((s) => s.inlineMs, 3),
    verifyMs: of((s) => s.verifyMs, 2),
    compileMs: of((s) => s.compileMs, 2),
    instantiateMicros: of((s) => s.instantiateMicros, 0),
    invocationMicros: of((s) => s.invocationMicros, 0),
    firstRequestInline: `${samples.filter((s) => s.inline).length}/${samples.length}`,
  };
}
const work = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
const only = new Set(process.argv.slice(2));
const want = (name: string) => only.size === 0 || only.has(name);
const summary: Record<string, unknown> = {};

try {
  if (want('overhead')) {
    const runs = await measureOverhead(5, 20_000);
    const ratio = (k: 'engineInThread' | 'engineWorkerPool' | 'nodeWasi') => runs.map((r) => r[k] / r.rawInstance);
    summary.overhead = {
      microseconds: Object.fromEntries((['rawInstance', 'engineInThread', 'engineWorkerPool', 'nodeWasi'] as const).map((k) => [k, spread(runs.map((r) => r[k]), 1)])),
      ratioVsRawInstance: { engineInThread: spread(ratio('engineInThread'), 2), engineWorkerPool: spread(ratio('engineWorkerPool'), 2), nodeWasi: spread(ratio('nodeWasi'), 2) },
    };
    log(`overhead: ${JSON.stringify(summary.overhead)}`);
  }
  if (want('throughput')) {
    const t = await measureThroughput(work, 5, 3, 32, log);
    const ratios = t.flotilla.map((f, i) => f.rps / t.bare[i]!.rps);
    summary.throughput = {
      bareRps: spread(t.bare.map((r) => r.rps)),
      flotillaRps: spread(t.flotilla.map((r) => r.rps)),
      ratio: spread(ratios, 2),
      flotillaP50Ms: spread(t.flotilla.map((r) => r.p50Ms), 2),
      flotillaP99Ms: spread(t.flotilla.map((r) => r.p99Ms), 2),
      bareP50Ms: spread(t.bare.map((r) => r.p50Ms), 2),
      bareP99Ms: spread(t.bare.map((r) => r.p99Ms), 2),
      non2xx: t.flotilla.reduce((n, r) => n + r.non2xx, 0),
      oneWorkerRps: spread(t.oneWorker.map((r) => r.rps)),
      oneWorkerRatio: spread(t.oneWorker.map((f, i) => f.rps / t.bare[i]!.rps), 2),
      scalingOneToTwoWorkers: spread(t.flotilla.map((f, i) => f.rps / t.oneWorker[i]!.rps), 2),
      nodeInternalShare: t.nodeInternalShare,
      loadAverage: t.loadAverage,
    };
    log(`throughput: ${JSON.stringify(summary.throughput)}`);
  }
  if (want('cold')) {
    const c = await measureColdStart(work, 7, log);
    summary.coldStart = {
      cachedNotCompiledMs: spread(c.cachedNotCompiled, 2),
      pulledAndVerifiedMs: spread(c.pulledAndVerified, 2),
      runcMs: spread(c.runc, 1),
      runcOverCached: spread(c.runc.map((r, i) => r / c.cachedNotCompiled[i]!), 1),
      runcOverPulled: spread(c.runc.map((r, i) => r / c.pulledAndVerified[i]!), 1),
      rewakeMs: spread(c.rewake, 3),
      warmMs: spread(c.warm, 3),
      rewakeOverWarm: spread(c.rewake.map((r, i) => r / c.warm[i]!), 2),
      runcOverRewake: spread(c.runc.map((r, i) => r / c.rewake[i]!), 0),
      afterRestartMs: spread(c.afterRestart, 2),
      rewakeStages: stageSummary(c.rewakeStages),
      afterRestartStages: stageSummary(c.restartStages),
      loaderHitMicros: Math.round(c.loaderHitMicros * 100) / 100,
    };
    log(`cold start: ${JSON.stringify(summary.coldStart)}`);
  }
  if (want('memory')) {
    const m = await measureMemory(work, 100, log);
    summary.memory = {
      functions: m.functions,
      perIdleFunctionKiB: Math.round(m.perIdleFunction / 1024),
      perDeployedFunctionKiB: Math.round(m.perDeployedFunction / 1024),
      functionsPerGiB: Math.floor(2 ** 30 / m.perIdleFunction),
      emptyNodeRssMiB: Math.round(m.baselineRss / 2 ** 20),
    };
    log(`memory: ${JSON.stringify(summary.memory)}`);
  }
  if (want('routes')) {
    const r = measureRouteLookup(10_000, 5, log);
    summary.routeLookup = { routes: r.routes, indexedMicros: spread(r.indexed, 3), linearMicros: spread(r.linear, 1) };
    log(`route lookup: ${JSON.stringify(summary.routeLookup)}`);
  }
  if (want('scrape')) {
    const m = await measureScrape(10_000, 5, log);
    summary.metricsScrape = { functions: m.functions, lines: m.lines, scrapeMs: spread(m.scrapeMs, 1), noFunctionsMs: spread(m.emptyMs, 2) };
    log(`metrics scrape: ${JSON.stringify(summary.metricsScrape)}`);
  }
  if (want('wasmtime')) {
    const w = await measureSideBySide(work, 15, log);
    const over = (xs: number[]) => xs.map((x, i) => x / w.wasmtimeCached[i]!);
    summary.wasmtime = {
      commandModule: 'echo (C, wasm32-wasi) as a WASI command; baseline the same source built natively',
      nativeProcessMs: spread(w.nativeProcess, 2),
      wasmtimeCachedMs: spread(w.wasmtimeCached, 2),
      wasmtimePrecompiledMs: spread(w.wasmtimePrecompiled, 2),
      flotillaRunMs: spread(w.flotillaRun, 1),
      engineNewInstanceMicros: spread(w.engineNewInstanceMicros, 1),
      enginePristineRerunMicros: spread(w.enginePristineRerunMicros, 1),
      ratioToWasmtimeCached: {
        nativeProcess: spread(over(w.nativeProcess), 2),
        wasmtimePrecompiled: spread(over(w.wasmtimePrecompiled), 2),
        flotillaRun: spread(over(w.flotillaRun), 2),
        engineNewInstance: spread(w.engineNewInstanceMicros.map((x, i) => x / 1000 / w.wasmtimeCached[i]!), 4),
      },
    };
    log(`wasmtime side by side: ${JSON.stringify(summary.wasmtime)}`);
  }
  // Not in the default run (minutes: 10k modules published, pulled, verified twice): `npm run bench -- density`.
  if (only.has('density')) {
    const d = await measureDensity(work, 10_000, log);
    summary.density = {
      functions: d.functions,
      rssMiB: Math.round(d.rssBytes / 2 ** 20),
      emptyNodeRssMiB: Math.round(d.emptyRssBytes / 2 ** 20),
      perFunctionKiB: Math.round((d.rssBytes - d.emptyRssBytes) / d.functions / 1024),
      pullAllS: Math.round(d.pullAllMs / 100) / 10,
      loadAllAfterRestartS: Math.round(d.loadAllMs / 100) / 10,
      firstRequestMs: d.firstRequestMs.map((m) => Math.round(m * 100) / 100),
    };
    log(`density: ${JSON.stringify(summary.density)}`);
  }
  process.stdout.write(`${JSON.stringify({ node: process.version, ...summary }, null, 2)}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
