/**
 * Per-invocation overhead, in one process: the baseline is raw `new WebAssembly.Instance` + a call
 * of `_start` with do-nothing imports; against it our engine in this thread (WASI layer, CGI
 * parsing, pristine reset), our engine through the worker pool (one thread hop each way), and
 * node:wasi (`new WASI` + instantiate + start), the alternative the WASI decision weighed.
 */
import { closeSync, openSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { compileModule } from '../../node-runtime/compile/compile.ts';
import { ModuleInstances, type LoadedModule } from '../../node-runtime/engine/instances.ts';
import { ThreadCapabilities } from '../../node-runtime/engine/link.ts';
import { callWagi } from '../../node-runtime/engine/wagi-call.ts';
import { WorkerPool } from '../../node-runtime/engine/worker-pool.ts';
import { wagiHello } from '../../node-runtime/testing/assemble.ts';

export interface OverheadRun {
  /** Microseconds per invocation. */
  readonly rawInstance: number;
  readonly engineInThread: number;
  readonly engineWorkerPool: number;
  readonly nodeWasi: number;
}

function perOp(n: number, body: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) body();
  return ((performance.now() - t0) * 1000) / n;
}

async function perOpAsync(n: number, body: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await body();
  return ((performance.now() - t0) * 1000) / n;
}

export async function measureOverhead(runs: number, n: number): Promise<OverheadRun[]> {
  const bytes = wagiHello();
  const { module, layout } = await compileModule(bytes, 16, 'hello');
  const loaded: LoadedModule = { name: 'bench/hello', digest: 'sha256:bench', module, layout, reuse: false, capabilities: { wasi: { preopens: [] } } };
  const raw = new WebAssembly.Module(bytes);
  const stub = { wasi_snapshot_preview1: { fd_write: () => 0 } };
  const inst = await ModuleInstances.create(loaded, new ThreadCapabilities());
  const call = { stdin: new Uint8Array(), env: ['REQUEST_METHOD=GET'], maxResponseBytes: 1 << 16 };
  const pool = new WorkerPool({ size: 1, queueLimit: 16 });
  const task = () => pool.run({ moduleId: 'hello', loaded, call, deadlineMs: Date.now() + 5000, concurrency: 1 });
  const devNull = openSync('/dev/null', 'w');
  const nodeWasi = () => {
    const wasi = new WASI({ version: 'preview1', returnOnExit: true, stdout: devNull });
    // The module as its toolchain built it: our compile stage adds deadline checks node:wasi knows nothing of.
    const instance = new WebAssembly.Instance(raw, wasi.getImportObject() as WebAssembly.Imports);
    wasi.start(instance);
  };
  const out: OverheadRun[] = [];
  try {
    // Warm-up: tier-up of JS and wasm on both sides.
    perOp(n, () => (new WebAssembly.Instance(raw, stub).exports._start as () => void)());
    perOp(n, () => callWagi(inst, call));
    perOp(Math.min(n, 2000), nodeWasi);
    await perOpAsync(Math.min(n, 2000), task);
    for (let r = 0; r < runs; r++) {
      out.push({
        rawInstance: perOp(n, () => (new WebAssembly.Instance(raw, stub).exports._start as () => void)()),
        engineInThread: perOp(n, () => callWagi(inst, call)),
        engineWorkerPool: await perOpAsync(Math.min(n, 5000), task),
        nodeWasi: perOp(Math.min(n, 2000), nodeWasi),
      });
    }
  } finally {
    await pool.close();
    closeSync(devNull);
  }
  return out;
}
