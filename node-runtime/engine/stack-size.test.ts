// WasmRuntime engine.stackSizeKb reaches the worker threads (PoolOptions.stackSizeKb): the same
// bounded recursion overflows on a small stack and completes on a large one.
import { afterEach, describe, expect, it } from 'vitest';
import { sleb } from '../../artifacts/wasm-encoding.ts';
import { compileModule } from '../compile/compile.ts';
import { assemble, I32, OP } from '../testing/assemble.ts';
import type { LoadedModule } from './instances.ts';
import { WorkerPool } from './worker-pool.ts';

const DEPTH = 100_000;

/** `_start` recurses DEPTH calls deep, then answers "deep" (WAGI). */
function recurser(): Uint8Array {
  const text = 'Content-Type: text/plain\n\ndeep';
  return assemble({
    types: [{ params: [I32], results: [] }, { params: [], results: [] }, { params: [I32, I32, I32, I32], results: [I32] }],
    imports: [{ module: 'wasi_snapshot_preview1', name: 'fd_write', type: 2 }],
    funcs: [
      // f(n): if n != 0, f(n - 1)
      { type: 0, body: [OP.local_get, 0, OP.if, 0x40, OP.local_get, 0, OP.i32_const, 1, OP.i32_sub, OP.call, 1, OP.end] },
      {
        type: 1,
        body: [
          OP.i32_const, ...sleb(DEPTH), OP.call, 1,
          OP.i32_const, 0, OP.i32_const, ...sleb(64), OP.i32_store, 2, 0,
          OP.i32_const, 4, OP.i32_const, ...sleb(text.length), OP.i32_store, 2, 0,
          OP.i32_const, 1, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 8, OP.call, 0, OP.drop,
        ],
      },
    ],
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 2 }],
    data: [{ offset: 64, bytes: text }],
  });
}

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('worker stack size', () => {
  it.each([
    // The WasmRuntime default.
    { stackSizeKb: 984, outcome: 'overflows' },
    { stackSizeKb: 32_768, outcome: 'completes' },
  ])('$stackSizeKb KiB: a recursion 100,000 calls deep $outcome', async ({ stackSizeKb, outcome }) => {
    const { module, layout } = await compileModule(recurser(), 16, 'deep');
    const loaded: LoadedModule = { name: 'deep', digest: 'sha256:deep', module, layout, reuse: false, capabilities: { wasi: { preopens: [] } } };
    pool = new WorkerPool({ size: 1, queueLimit: 4, stackSizeKb });
    const run = pool.run({ moduleId: 'deep', loaded, call: { stdin: new Uint8Array(), env: [], maxResponseBytes: 1 << 16 }, deadlineMs: Date.now() + 10_000, concurrency: 1 });
    if (outcome === 'overflows') await expect(run).rejects.toMatchObject({ code: 'StackOverflow' });
    else expect(new TextDecoder().decode((await run).body)).toBe('deep');
  });
});
