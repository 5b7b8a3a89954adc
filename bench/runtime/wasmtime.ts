/**
 * Side by side with `wasmtime run` for a cached command module: the echo example (C, wasm32-wasi)
 * run as a WASI command, the same way each time, by
 *  - `wasmtime run` with its compilation cache warm (a cache config of this run's own, so the
 *    first run fills it and the timed ones hit it),
 *  - `wasmtime run --allow-precompiled` of what `wasmtime compile` wrote (no compile at all),
 *  - `flotilla run` (a new Node 24 process each time: what a shell user sees),
 *  - our engine inside one process with the module kept compiled, which is what a node does for a
 *    function it holds: a new instance + `_start` (a re-wake), and a pristine re-run of the same
 *    instance (a warm request).
 * The baseline is the same source built natively (gcc -static, the runc baseline's binary) started
 * as a plain process: what starting any process costs on this machine. Every way must print the
 * same bytes, or the figures compare different work.
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildExample } from '../../examples/functions/build.ts';
import { compileModule } from '../../node-runtime/compile/compile.ts';
import { ModuleInstances, type LoadedModule } from '../../node-runtime/engine/instances.ts';
import { ThreadCapabilities } from '../../node-runtime/engine/link.ts';
import { bytesInput, CollectingSink } from '../../node-runtime/wasi/host.ts';
import { toolPath } from '../../devenv/tools/paths.ts';
import { prepareRuncBundle } from '../runc/bundle.ts';
import { RUNC_BINARY } from '../runc/config.ts';

export interface SideBySideResult {
  /** Milliseconds per run, one sample each. */
  readonly nativeProcess: number[];
  readonly wasmtimeCached: number[];
  readonly wasmtimePrecompiled: number[];
  readonly flotillaRun: number[];
  /** Microseconds per run, each sample the mean of a batch. */
  readonly engineNewInstanceMicros: number[];
  readonly enginePristineRerunMicros: number[];
}

/** echo prints its argv[0], which is each runner's own name for the program: the rest must agree. */
function withoutArg0(out: string): string {
  return out.replace(/^arg\[0\]: .*\n/m, '');
}

/** Runs `argv` to completion and returns its wall time in ms; throws unless it printed `expected`. */
function timedRun(argv: readonly string[], expected: string, what: string): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: {} });
  const ms = performance.now() - t0;
  const out = withoutArg0(r.stdout?.toString() ?? '');
  if (r.status !== 0 || out !== expected) {
    throw new Error(`${what}: expected exit 0 and ${JSON.stringify(expected)}, got exit ${r.status} and ${JSON.stringify(out)} (stderr ${JSON.stringify(r.stderr?.toString().slice(0, 300))})`);
  }
  return ms;
}

function samples(runs: number, warmups: number, once: () => number): number[] {
  for (let i = 0; i < warmups; i++) once();
  return Array.from({ length: runs }, once);
}

export async function measureSideBySide(workDir: string, runs: number, log: (l: string) => void): Promise<SideBySideResult> {
  const wasmPath = await buildExample('echo');
  const bytes = new Uint8Array(await readFile(wasmPath));
  const { bundleDir } = await prepareRuncBundle({ log });
  const native = join(bundleDir, 'rootfs', RUNC_BINARY);
  const wasmtime = toolPath('wasmtime');
  const cacheConfig = join(workDir, 'wasmtime-cache.toml');
  await writeFile(cacheConfig, `[cache]\ndirectory = ${JSON.stringify(join(workDir, 'wasmtime-cache'))}\n`);
  const cwasm = join(workDir, 'echo.cwasm');
  const compiled = spawnSync(wasmtime, ['compile', '-o', cwasm, wasmPath], { stdio: 'pipe' });
  if (compiled.status !== 0) throw new Error(`wasmtime compile ${wasmPath}: ${compiled.stderr.toString()}`);

  // The reference output: the native build's. Run without REQUEST_METHOD, echo is a plain command.
  const expected = withoutArg0(spawnSync(native, [], { stdio: ['ignore', 'pipe', 'pipe'], env: {} }).stdout.toString());
  if (expected === '') throw new Error(`${native} printed nothing: the comparison would measure nothing`);

  const cli = resolve(import.meta.dirname, '../../cli/main.ts');
  log('side by side: native process, wasmtime run (cached, precompiled), flotilla run');
  const out = {
    nativeProcess: samples(runs, 2, () => timedRun([native], expected, 'native echo')),
    wasmtimeCached: samples(runs, 2, () => timedRun([wasmtime, 'run', '-C', `cache-config=${cacheConfig}`, wasmPath], expected, 'wasmtime run')),
    wasmtimePrecompiled: samples(runs, 2, () => timedRun([wasmtime, 'run', '--allow-precompiled', cwasm], expected, 'wasmtime run --allow-precompiled')),
    flotillaRun: samples(runs, 2, () => timedRun([process.execPath, cli, 'run', wasmPath], expected, 'flotilla run')),
    engineNewInstanceMicros: [] as number[],
    enginePristineRerunMicros: [] as number[],
  };

  log('side by side: our engine in this process, the module kept compiled');
  const { module, layout } = await compileModule(bytes, 16, 'echo');
  const loaded: LoadedModule = { name: 'bench/echo', digest: 'sha256:bench', module, layout, reuse: false, capabilities: { wasi: { preopens: [] } } };
  const capabilities = new ThreadCapabilities();
  const full = (): never => {
    throw new Error('engine: echo wrote more than 64 KiB');
  };
  const io = () => {
    const stdout = new CollectingSink(1 << 16, full);
    return { stdout, io: { args: ['echo'], env: [], stdin: bytesInput(new Uint8Array()), stdout, stderr: new CollectingSink(1 << 16, full) } };
  };
  const check = (stdout: CollectingSink) => {
    const got = withoutArg0(new TextDecoder().decode(stdout.bytes()));
    if (got !== expected) throw new Error(`engine: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
  };
  const batch = 200;
  const newInstance = async () => {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      const run = io();
      const instances = await ModuleInstances.create(loaded, capabilities);
      instances.run(run.io);
      if (i === 0) check(run.stdout);
    }
    return ((performance.now() - t0) * 1000) / batch;
  };
  const warm = await ModuleInstances.create(loaded, capabilities);
  const rerun = () => {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      const run = io();
      warm.run(run.io);
      if (i === 0) check(run.stdout);
    }
    return ((performance.now() - t0) * 1000) / batch;
  };
  await newInstance();
  rerun();
  for (let r = 0; r < runs; r++) {
    out.engineNewInstanceMicros.push(await newInstance());
    out.enginePristineRerunMicros.push(rerun());
  }
  return out;
}
