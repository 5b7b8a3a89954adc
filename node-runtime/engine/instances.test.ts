import { describe, expect, it } from 'vitest';
import { compileModule } from '../compile/compile.ts';
import { assemble, grower, I32, misbehaving, OP, wagiCounter, wagiEcho, wagiHello } from '../testing/assemble.ts';
import { ModuleInstances, type LoadedModule } from './instances.ts';
import { ThreadCapabilities } from './link.ts';
import { callWagi } from './wagi-call.ts';

async function load(bytes: Uint8Array, o: { reuse?: boolean; pages?: number; name?: string } = {}): Promise<LoadedModule> {
  const { module, layout } = await compileModule(bytes, o.pages ?? 16, 'test');
  return { name: o.name ?? 'ns/fn', digest: 'sha256:test', module, layout, reuse: o.reuse ?? false, capabilities: { wasi: { preopens: [] } } };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const capabilities = new ThreadCapabilities();
const instancesOf = (loaded: LoadedModule) => ModuleInstances.create(loaded, capabilities);
const call = (inst: ModuleInstances, body = '') => callWagi(inst, { stdin: new TextEncoder().encode(body), env: [], maxResponseBytes: 1 << 16 });

describe('ModuleInstances: every invocation sees a pristine instance', () => {
  it('resets memory and non-exported mutable globals between invocations (no leak)', async () => {
    const inst = await instancesOf(await load(wagiCounter()));
    const outs = Array.from({ length: 5 }, () => text(call(inst).response.body));
    expect(outs).toEqual(['11', '11', '11', '11', '11']);
  });

  it('leaks state only when reuse is opted into', async () => {
    const inst = await instancesOf(await load(wagiCounter(), { reuse: true }));
    expect([1, 2, 3].map(() => text(call(inst).response.body))).toEqual(['11', '22', '33']);
  });

  it('uses a fresh instance per invocation when the code can change tables (still no leak)', async () => {
    // The counter plus a table.set: the scan says a reset is not enough.
    const base = wagiCounter();
    const loaded = await load(base);
    const notResettable = { ...loaded, layout: { ...loaded.layout, resettable: false } };
    const inst = await instancesOf(notResettable);
    expect([1, 2, 3].map(() => text(call(inst).response.body))).toEqual(['11', '11', '11']);
  });

  it('drops an instance whose memory grew and starts clean', async () => {
    const inst = await instancesOf(await load(grower(2), { pages: 16 }));
    expect(text(call(inst).response.body)).toBe('grew');
    expect(text(call(inst).response.body)).toBe('grew');
  });

  it('reports a cold start only for the first invocation', async () => {
    const inst = await instancesOf(await load(wagiHello()));
    expect(call(inst).cold).toBe(true);
    expect(call(inst).cold).toBe(false);
  });

  it('runs its first invocation warm and pristine after prepare (a placement\'s pre-instantiation)', async () => {
    const inst = await instancesOf(await load(wagiCounter()));
    expect(inst.count).toBe(0);
    inst.prepare();
    expect(inst.count).toBe(1);
    inst.prepare(); // a second one keeps the instance it has
    const first = call(inst);
    expect(first.cold).toBe(false);
    expect(first.initMicros).toBe(0);
    expect([text(first.response.body), text(call(inst).response.body)]).toEqual(['11', '11']);
  });

  it('passes stdin through', async () => {
    const inst = await instancesOf(await load(wagiEcho()));
    expect(text(call(inst, 'ping').response.body)).toBe('ping');
    expect(text(call(inst, 'pong!').response.body)).toBe('pong!');
  });
});

describe('ModuleInstances: failures become typed errors naming the function', () => {
  it.each([
    ['trap', 'Trap', /function ns\/fn trapped: unreachable/],
    ['stack', 'StackOverflow', /function ns\/fn overflowed its stack/],
    ['exit3', 'FunctionExited', /function ns\/fn exited with code 3/],
  ] as const)('%s -> %s', async (kind, code, message) => {
    const inst = await instancesOf(await load(misbehaving(kind)));
    expect(() => call(inst)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) as unknown }));
    // The instance is usable afterwards: the next call fails the same way, not worse.
    expect(() => call(inst)).toThrow(expect.objectContaining({ code }));
  });

  it('fails memory.grow past the limit inside the module (the module sees -1)', async () => {
    const inst = await instancesOf(await load(grower(100), { pages: 16 }));
    expect(text(call(inst).response.body)).toBe('refused');
  });

  it('classifies a trap at the memory limit as MemoryLimitExceeded', async () => {
    // grow to the limit, then trap: what a C malloc failure followed by abort() looks like.
    const bytes = assemble({
      types: [{ params: [], results: [] }],
      funcs: [{ type: 0, body: [OP.i32_const, 3, OP.memory_grow, 0, OP.drop, OP.unreachable] }],
      memory: { min: 1 },
      exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 0 }],
    });
    const inst = await instancesOf(await load(bytes, { pages: 4 }));
    expect(() => call(inst)).toThrow(expect.objectContaining({ code: 'MemoryLimitExceeded' }));
  });

  it('refuses output beyond the response limit', async () => {
    const inst = await instancesOf(await load(wagiHello('x'.repeat(2000))));
    expect(() => callWagi(inst, { stdin: new Uint8Array(), env: [], maxResponseBytes: 1000 })).toThrow(expect.objectContaining({ code: 'ResponseTooLarge' }));
  });

  it('refuses instance reuse for a command that reads its body, naming the annotation (it would lose every later body)', async () => {
    await expect(instancesOf(await load(wagiEcho(), { reuse: true }))).rejects.toThrow(expect.objectContaining({ code: 'UnsupportedModule', message: expect.stringMatching(/flotilla\.dev\/instance-reuse: "true".*imports fd_read/) as unknown }));
    // Without reuse the same module gets each body.
    const inst = await instancesOf(await load(wagiEcho()));
    expect([text(call(inst, 'one').response.body), text(call(inst, 'two').response.body)]).toEqual(['one', 'two']);
  });

  it('refuses modules that are not WASI commands', async () => {
    const bytes = assemble({ types: [{ params: [], results: [] }], funcs: [{ type: 0, body: [] }], memory: { min: 1 } });
    const loaded = await load(bytes);
    await expect(instancesOf(loaded)).rejects.toThrow(expect.objectContaining({ code: 'UnsupportedModule', message: expect.stringMatching(/_start/) as unknown }));
  });

  it('refuses imports outside WASI at link time', async () => {
    const bytes = assemble({
      types: [{ params: [], results: [] }, { params: [I32], results: [] }],
      imports: [{ module: 'env', name: 'host_call', type: 1 }],
      funcs: [{ type: 0, body: [] }],
      memory: { min: 1 },
      exports: [{ name: '_start', kind: 'func', index: 1 }],
    });
    await expect(instancesOf(await load(bytes))).rejects.toThrow(expect.objectContaining({ code: 'UnsupportedModule', message: expect.stringMatching(/wasi_snapshot_preview1/) as unknown }));
  });
});
