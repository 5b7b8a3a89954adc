import { afterEach, describe, expect, it } from 'vitest';
import { compileModule } from '../compile/compile.ts';
import { assemble, I32, misbehaving, OP, wagiCounter, wagiHello } from '../testing/assemble.ts';
import type { LoadedModule } from './instances.ts';
import { STOP_GRACE_MS, WorkerPool, type Task } from './worker-pool.ts';

async function load(name: string, bytes: Uint8Array): Promise<LoadedModule> {
  const { module, layout } = await compileModule(bytes, 16, name);
  return { name, digest: `sha256:${name}`, module, layout, reuse: false, capabilities: { wasi: { preopens: [] } } };
}

function task(loaded: LoadedModule, o: Partial<Task> = {}): Task {
  return { moduleId: loaded.name, loaded, call: { stdin: new Uint8Array(), env: [], maxResponseBytes: 1 << 16 }, deadlineMs: Date.now() + 5000, concurrency: 4, ...o };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('WorkerPool', () => {
  it('runs invocations on worker threads and keeps them pristine there', async () => {
    pool = new WorkerPool({ size: 2, queueLimit: 16 });
    const counter = await load('counter', wagiCounter());
    const outs = await Promise.all(Array.from({ length: 8 }, () => pool!.run(task(counter))));
    expect(outs.map((o) => text(o.body))).toEqual(Array(8).fill('11'));
  });

  it('stops a runaway function at its deadline at a deadline check: the same worker serves on', async () => {
    const replaced: string[] = [];
    let interrupted = 0;
    pool = new WorkerPool({ size: 1, queueLimit: 16 }, { workerReplaced: (r) => replaced.push(r), interrupted: () => interrupted++ });
    const loop = await load('loop', misbehaving('loop'));
    const hello = await load('hello', wagiHello());
    const started = Date.now();
    await expect(pool.run(task(loop, { deadlineMs: Date.now() + 300 }))).rejects.toMatchObject({ code: 'Timeout', message: expect.stringMatching(/function loop did not answer/) as unknown });
    expect(Date.now() - started).toBeLessThan(3000);
    // One worker: hello runs on the thread that ran the loop, with no replacement.
    expect(text((await pool.run(task(hello))).body)).toBe('hello\n');
    expect(replaced).toEqual([]);
    expect(interrupted).toBe(1);
    // The loop's instance was reset: it times out again the same way, not worse.
    await expect(pool.run(task(loop, { deadlineMs: Date.now() + 200 }))).rejects.toMatchObject({ code: 'Timeout' });
    expect(replaced).toEqual([]);
  });

  it('replaces a worker whose guest carries no deadline checks, after the grace period', async () => {
    const replaced: string[] = [];
    pool = new WorkerPool({ size: 2, queueLimit: 16 }, { workerReplaced: (r) => replaced.push(r) });
    // A legacy `try` inside the loop: code the instrumentation does not decode, so no checks.
    const unchecked = await load('unchecked', assemble({
      types: [{ params: [], results: [] }],
      funcs: [{ type: 0, body: [OP.loop, 0x40, 0x06, 0x40, OP.end, OP.br, 0, OP.end] }],
      memory: { min: 1 },
      exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 0 }],
    }));
    expect(unchecked.layout.interruptible).toBe(false);
    const hello = await load('hello', wagiHello());
    const looping = expect(pool.run(task(unchecked, { deadlineMs: Date.now() + 300 }))).rejects.toMatchObject({ code: 'Timeout' });
    // While one worker spins, the other answers.
    expect(text((await pool.run(task(hello))).body)).toBe('hello\n');
    await looping;
    await new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS + 200));
    expect(replaced).toEqual(['timeout']);
    const again = await Promise.all([pool.run(task(hello)), pool.run(task(hello)), pool.run(task(hello))]);
    expect(again.map((o) => o.status)).toEqual([200, 200, 200]);
  });

  it('refuses with Overloaded once the bounded queue is full', async () => {
    const p = (pool = new WorkerPool({ size: 1, queueLimit: 2 }));
    const loop = await load('loop', misbehaving('loop'));
    // Each outcome's assertion is attached at once: under load a queued task may time out before
    // the test reaches it, and an unobserved rejection fails the whole run.
    const running = expect(pool.run(task(loop, { deadlineMs: Date.now() + 400 }))).rejects.toMatchObject({ code: 'Timeout' });
    const queued = [0, 1].map(() => expect(p.run(task(loop, { deadlineMs: Date.now() + 400 }))).rejects.toMatchObject({ code: 'Timeout' }));
    await expect(pool.run(task(loop))).rejects.toMatchObject({ code: 'Overloaded' });
    expect(pool.queued).toBe(2);
    await running;
    await Promise.all(queued);
  });

  it('holds a function to its concurrency limit while others use the free workers', async () => {
    pool = new WorkerPool({ size: 2, queueLimit: 16 });
    const loop = await load('loop', misbehaving('loop'));
    const hello = await load('hello', wagiHello());
    const a = pool.run(task(loop, { concurrency: 1, deadlineMs: Date.now() + 2000 }));
    const b = pool.run(task(loop, { concurrency: 1, deadlineMs: Date.now() + 2000 }));
    let loopsSettled = false;
    void Promise.allSettled([a, b]).then(() => { loopsSettled = true; });
    // The second loop waits (limit 1), so hello gets the second worker while both loops are pending.
    expect((await pool.run(task(hello))).status).toBe(200);
    expect(loopsSettled).toBe(false);
    expect(pool.queued).toBe(1);
    await expect(a).rejects.toMatchObject({ code: 'Timeout' });
    await expect(b).rejects.toMatchObject({ code: 'Timeout' });
  });

  it('is fair between functions: one with a backlog does not make another wait behind all of it', async () => {
    pool = new WorkerPool({ size: 1, queueLimit: 16 });
    const loop = await load('loop', misbehaving('loop'));
    const hello = await load('hello', wagiHello());
    const started = Date.now();
    // The hog runs one loop (stopped at 300 ms) and has three more queued, all stopped 4 s from now.
    const hog = [pool.run(task(loop, { deadlineMs: started + 300 })), ...[1, 2, 3].map(() => pool!.run(task(loop, { deadlineMs: started + 4000 })))].map((h) => h.then(() => 'answered', (e: unknown) => (e as { code?: unknown }).code));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const answered = await pool.run(task(hello));
    // Served as soon as the first loop stopped, ahead of the hog's queued tasks (FIFO: at 4 s, when they are gone).
    expect(answered.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await Promise.all(hog)).toEqual(['Timeout', 'Timeout', 'Timeout', 'Timeout']);
  });

  it('keeps a worker for other functions: one function runs on at most all workers but one, whatever its concurrency', async () => {
    pool = new WorkerPool({ size: 3, queueLimit: 16 });
    expect(pool.share).toBe(2);
    const loop = await load('loop', misbehaving('loop'));
    const hello = await load('hello', wagiHello());
    const loops = Array.from({ length: 4 }, () => pool!.run(task(loop, { concurrency: 8, deadlineMs: Date.now() + 6000 })).then(() => 'answered', (e: unknown) => (e as { code?: unknown }).code));
    let loopsSettled = false;
    void Promise.all(loops).then(() => { loopsSettled = true; });
    // Two run, two wait for them (their share), and the third worker is free for another function:
    // hello answers while every loop is still running or waiting (without the share it would wait for one to stop).
    expect(pool.queued).toBe(2);
    expect((await pool.run(task(hello))).status).toBe(200);
    expect(loopsSettled).toBe(false);
    expect(await Promise.all(loops)).toEqual(['Timeout', 'Timeout', 'Timeout', 'Timeout']);
  });

  it('lets a function have the only worker of a pool of one (no share to keep)', async () => {
    pool = new WorkerPool({ size: 1, queueLimit: 4 });
    expect(pool.share).toBe(1);
    const hello = await load('hello', wagiHello());
    expect((await pool.run(task(hello, { concurrency: 8 }))).status).toBe(200);
  });

  it('refuses a module importing what no capability provides, every time, and keeps serving the others', async () => {
    const replaced: string[] = [];
    pool = new WorkerPool({ size: 1, queueLimit: 4 }, { workerReplaced: (r) => replaced.push(r) });
    const alien = await load('alien', assemble({
      types: [{ params: [], results: [] }, { params: [I32], results: [] }],
      imports: [{ module: 'env', name: 'host_call', type: 1 }],
      funcs: [{ type: 0, body: [] }],
      memory: { min: 1 },
      exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 1 }],
    }));
    const hello = await load('hello', wagiHello());
    const refused = { code: 'UnsupportedModule', message: expect.stringMatching(/^function alien: import "env" "host_call": expected a module one of the node's host capabilities provides/) as unknown };
    await expect(pool.run(task(alien))).rejects.toMatchObject(refused);
    expect(text((await pool.run(task(hello))).body)).toBe('hello\n');
    // The module went to this worker once; the second call is refused for the same reason, not for a lost module.
    await expect(pool.run(task(alien))).rejects.toMatchObject(refused);
    expect(text((await pool.run(task(hello))).body)).toBe('hello\n');
    expect(replaced).toEqual([]);
  });

  it('returns traps as typed errors without replacing the worker', async () => {
    const replaced: string[] = [];
    pool = new WorkerPool({ size: 1, queueLimit: 4 }, { workerReplaced: (r) => replaced.push(r) });
    const trap = await load('trap', misbehaving('trap'));
    await expect(pool.run(task(trap))).rejects.toMatchObject({ code: 'Trap', message: 'function trap trapped: unreachable' });
    expect(replaced).toEqual([]);
  });
});
