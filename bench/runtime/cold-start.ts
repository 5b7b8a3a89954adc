/**
 * Cold start, deploy to first response: a running node is handed a desired state with a new
 * function and the clock runs until its first 200. Two cases: the module is in the disk cache but
 * not compiled (verify + compile + instantiate + run), and the module must be pulled from a real
 * registry on loopback and verified first. Then a re-wake after scale to zero (the function moved to
 * dormant and placed again, module verified and compiled, same process) against a warm request of
 * the same function, and the first answer after a node restart (a new node on the same disk cache:
 * verify from disk + compile + instantiate + run). The baseline is the same function (the echo
 * example, built natively) started in a runc container in the same run.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildExample } from '../../examples/functions/build.ts';
import { startNode } from '../../node-runtime/node.ts';
import type { DesiredState, FunctionDef } from '../../node-runtime/resolve/desired-state.ts';
import { compilePolicy, parseReference } from '../../artifacts/index.ts';
import { DiskCache } from '../../node-runtime/cache/disk-cache.ts';
import { ModuleLoader } from '../../node-runtime/loader/module-loader.ts';
import { startRegistry } from '../../devenv/servers/registry.ts';
import { newKey, publish } from '../../devenv/fixtures/modules.ts';
import { request } from '../../devenv/fixtures/http-client.ts';
import { prepareRuncBundle, runRuncOnce } from '../runc/bundle.ts';
import { formatStages, scrape, stagesBetween, type StageSample } from './stage-marks.ts';

/** A sample's node-internal stages plus the desired-state apply itself (synchronous, in the bench's thread), ms. */
export interface TimedStages extends StageSample {
  readonly applyMs: number;
}

export interface ColdStartResult {
  /** Milliseconds, one sample per run. */
  readonly cachedNotCompiled: number[];
  readonly pulledAndVerified: number[];
  readonly runc: number[];
  /** Placed again after scale to zero → first 200, and a warm request's median in the same run. */
  readonly rewake: number[];
  readonly warm: number[];
  /** After a node restart on the same disk cache: apply → first 200. */
  readonly afterRestart: number[];
  /** Where each re-wake's and each restart's first answer went (stage-marks.ts). */
  readonly rewakeStages: TimedStages[];
  readonly restartStages: TimedStages[];
  /** The loader's part of a re-wake (a compiled-module hit), µs per load, measured on its own. */
  readonly loaderHitMicros: number;
}

export async function measureColdStart(workDir: string, runs: number, log: (l: string) => void): Promise<ColdStartResult> {
  await mkdir(join(workDir, 'logs'), { recursive: true });
  const registry = await startRegistry(join(workDir, 'registry'), join(workDir, 'logs'));
  const key = newKey();
  const wasm = new Uint8Array(await readFile(await buildExample('echo')));
  let apply: (s: DesiredState) => void = () => undefined;
  const start = () =>
    startNode({
      source: { start: (a) => { apply = a; return Promise.resolve(a({ functions: new Map(), routes: [], triggers: [] })); }, close: () => Promise.resolve() },
      logger: pino({ level: 'silent' }),
      port: 0,
      cacheDir: join(workDir, 'cache'),
      trust: { keys: [key.publicPem], identities: [] },
      workers: 2,
    });
  let node = await start();
  const out: ColdStartResult = { cachedNotCompiled: [], pulledAndVerified: [], runc: [], rewake: [], warm: [], afterRestart: [], rewakeStages: [], restartStages: [], loaderHitMicros: 0 };
  const functions = new Map<string, FunctionDef>();
  const dormant = new Map<string, FunctionDef>();
  const routesOf = () => [...functions.values(), ...dormant.values()].map((f) => ({ key: f.key, host: '*', pathPrefix: `/${f.key.split('/')[1]}`, methods: [], backends: [{ functionKey: f.key, weight: 100 }], timeoutMs: 10_000 }));
  const answer = async (name: string, t0: number): Promise<number> => {
    const reply = await request(node.url, `/${name}`, { host: 'bench.test' });
    const ms = performance.now() - t0;
    if (reply.status !== 200) throw new Error(`cold start of ${name}: expected 200, got ${reply.status} ${reply.body}`);
    return ms;
  };
  /** Places `fn`; returns how long the node's apply took (it runs in this thread). */
  const place = (fn: FunctionDef): number => {
    dormant.delete(fn.key);
    functions.set(fn.key, fn);
    const t0 = performance.now();
    apply({ functions: new Map(functions), routes: routesOf(), triggers: [], dormant: new Map(dormant) });
    return performance.now() - t0;
  };
  /** Places `fn` and times its first answer, with the node's stages of it. */
  const placeAndAnswer = async (fn: FunctionDef): Promise<{ ms: number; stages: TimedStages }> => {
    const before = await scrape(node.adminUrl);
    const t0 = performance.now();
    const applyMs = place(fn);
    const ms = await answer(fn.key.split('/')[1]!, t0);
    return { ms, stages: { applyMs, ...stagesBetween(before, await scrape(node.adminUrl)) } };
  };
  const deploy = (name: string, ref: string, memoryPages: number): Promise<number> => {
    const parsed = parseReference(ref);
    const fn: FunctionDef = { key: `bench/${name}`, module: { kind: 'oci', ref: parsed, digest: parsed.digest!, text: ref }, memoryPages, timeoutMs: 5000, concurrency: 4, env: [], reuse: false, grants: {} };
    const t0 = performance.now();
    place(fn);
    return answer(name, t0);
  };
  /** Scale to zero and back: the function leaves the node (dormant), then is placed again and answers. */
  const rewake = async (name: string): Promise<{ rewake: number; warm: number; stages: TimedStages }> => {
    const fn = functions.get(`bench/${name}`)!;
    const warm: number[] = [];
    for (let i = 0; i < 21; i++) warm.push(await answer(name, performance.now()));
    functions.delete(fn.key);
    dormant.set(fn.key, fn);
    apply({ functions: new Map(functions), routes: routesOf(), triggers: [], dormant: new Map(dormant) });
    await new Promise((r) => setTimeout(r, 50));
    const { ms, stages } = await placeAndAnswer(fn);
    return { rewake: ms, warm: warm.sort((a, b) => a - b)[10]!, stages };
  };
  try {
    const bundle = await prepareRuncBundle({ log });
    await runRuncOnce(bundle.bundleDir); // warm the page cache like the wasm side's warm-up
    // Warm-up deploy (JIT of the node's own code paths), not counted.
    const warm = await publish({ kind: 'registry', registry: registry.host, repository: 'bench/warm' }, wasm, key);
    await deploy('warm', warm, 256);
    for (let i = 0; i < runs; i++) {
      // A new repository per run: a new manifest digest, so nothing is cached on the node.
      const ref = await publish({ kind: 'registry', registry: registry.host, repository: `bench/echo-${i}` }, wasm, key);
      const pulled = await deploy(`pulled-${i}`, ref, 256);
      // Same digest, new memory limit: the disk cache has it, the compiled-module cache does not.
      const cached = await deploy(`cached-${i}`, ref, 128 + i);
      const woke = await rewake(`cached-${i}`);
      const r = (await runRuncOnce(bundle.bundleDir)).runMs;
      log(`cold start run ${i + 1}: cached-not-compiled ${cached.toFixed(2)} ms, pulled+verified ${pulled.toFixed(2)} ms, re-wake ${woke.rewake.toFixed(3)} ms (warm ${woke.warm.toFixed(3)} ms), runc ${r.toFixed(1)} ms`);
      log(`  re-wake stages: apply ${woke.stages.applyMs.toFixed(3)} ms, ${formatStages(woke.stages)}`);
      out.rewakeStages.push(woke.stages);
      out.cachedNotCompiled.push(cached);
      out.pulledAndVerified.push(pulled);
      out.rewake.push(woke.rewake);
      out.warm.push(woke.warm);
      out.runc.push(r);
    }
    // Node restarts: every module is on disk, nothing in memory. The restarted node's first
    // request warms its new worker threads (their own JIT); the function timed is the next one.
    const cachedRefs = [...functions.values()].filter((f) => f.key.startsWith('bench/cached-'));
    const warmFn = functions.get('bench/warm')!;
    for (const fn of cachedRefs) {
      await node.close();
      node = await start();
      functions.clear();
      dormant.clear();
      place(warmFn);
      await answer('warm', performance.now());
      const { ms, stages } = await placeAndAnswer(fn);
      log(`cold start after restart (${fn.key}): ${ms.toFixed(2)} ms; apply ${stages.applyMs.toFixed(3)} ms, ${formatStages(stages)}`);
      out.afterRestart.push(ms);
      out.restartStages.push(stages);
    }
    // The loader alone on the same disk cache: a compiled-module hit is all a re-wake asks of it.
    const loader = new ModuleLoader({ cache: await DiskCache.open(join(workDir, 'cache'), 1 << 30), policy: compilePolicy({ keys: [key.publicPem], identities: [] }) });
    await loader.load(warmFn);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 10_000; i++) await loader.load(warmFn);
    Object.assign(out, { loaderHitMicros: Number(process.hrtime.bigint() - t0) / 1000 / 10_000 });
    log(`loader compiled-module hit: ${out.loaderHitMicros.toFixed(2)} µs`);
  } finally {
    await node.close();
    await registry.stop();
  }
  return out;
}
