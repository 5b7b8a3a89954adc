/**
 * Instances of one compiled module inside one thread, and how each invocation gets a pristine one.
 *
 * Strategy (measured in bench/, see docs/performance.md): keep one warm instance and, after each
 * invocation, reset it from a snapshot taken right after instantiation: linear memory copied back,
 * every mutable global restored (the compile-stage rewrite exported them all, `__stack_pointer`
 * included). That costs a memcpy of the memory instead of a new instance. When a reset cannot
 * give a pristine instance (memory grew, or the code can change tables / passive segments, see
 * code-scan.ts) the instance is dropped and the next invocation makes a new one, under its own
 * deadline: a slow start section then costs that function's request, never another function's
 * that happens to come next on this thread. Opt-in reuse keeps the instance as the module left it. One thread runs one invocation at a time, so one instance per module is enough.
 * Imports come from the host capabilities the module was linked against (link.ts).
 */
import type { CapabilityInstance } from '../capabilities/capability.ts';
import type { CapabilityConfigs } from '../capabilities/registry.ts';
import type { ModuleLayout } from '../compile/rewrite.ts';
import { NodeRuntimeError } from '../errors.ts';
import { WASI_MODULE, WasiExit } from '../wasi/abi.ts';
import type { WasiIo } from '../wasi/host.ts';
import { REUSE_ANNOTATION } from '../../api/index.ts';
import { INTERRUPT_IMPORT } from '../compile/interrupt.ts';
import { NEVER_INTERRUPT } from './deadline.ts';
import type { LinkedCapabilities, ThreadCapabilities } from './link.ts';

const PAGE = 65536;

/** A compiled module plus what the engine needs to run it. Structured-cloneable (to workers). */
export interface LoadedModule {
  /** Function name, for error messages and logs. */
  readonly name: string;
  readonly digest: string;
  readonly module: WebAssembly.Module;
  readonly layout: ModuleLayout;
  /** Opt-in instance reuse: state survives between invocations. */
  readonly reuse: boolean;
  /** The host capabilities configured for the function (preopens, its kv store...); one absent is not linked. */
  readonly capabilities: CapabilityConfigs;
}

export interface RunResult {
  readonly exitCode: number;
  /** True when this invocation had to instantiate (no warm instance). */
  readonly cold: boolean;
  /** Time spent instantiating on the request path, in microseconds (0 when warm). */
  readonly initMicros: number;
}

interface Live {
  readonly instance: WebAssembly.Instance;
  /** Each capability's part of this instance, in list order. */
  readonly capabilities: readonly CapabilityInstance[];
  readonly memory: WebAssembly.Memory;
  readonly globals: readonly WebAssembly.Global[];
  readonly start: () => void;
  /** Memory up to its last non-zero byte (the rest was zero), its full length, and the globals. */
  readonly snapshot: { readonly memory: Uint8Array; readonly length: number; readonly globals: readonly unknown[] };
  dirty: boolean;
  failed: boolean;
}

/** A copy of memory up to its last non-zero byte: an idle instance keeps only what it needs to reset. */
function snapshotMemory(memory: WebAssembly.Memory): Uint8Array {
  const bytes = new Uint8Array(memory.buffer);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.slice(0, end);
}

function micros(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1000;
}

export class ModuleInstances {
  readonly loaded: LoadedModule;
  private readonly linked: LinkedCapabilities;
  private readonly interrupt: () => number;
  private live: Live | undefined;
  /** True once an instance was made: later ones replace a dropped instance and are not cold starts. */
  private started = false;
  /** Linking time not yet reported: it belongs to the first cold start. */
  private linkMicros: number;

  private constructor(loaded: LoadedModule, linked: LinkedCapabilities, linkMicros: number, interrupt: () => number) {
    this.loaded = loaded;
    this.linked = linked;
    this.linkMicros = linkMicros;
    this.interrupt = interrupt;
  }

  /**
   * Links `loaded` against the thread's host capabilities; `interrupt` is what its deadline checks
   * call (engine/deadline.ts). Throws UnsupportedModule for a module it cannot run.
   */
  static async create(loaded: LoadedModule, capabilities: ThreadCapabilities, interrupt: () => number = NEVER_INTERRUPT): Promise<ModuleInstances> {
    if (!loaded.layout.functionExports.includes('_start')) {
      throw new NodeRuntimeError('UnsupportedModule', `function ${loaded.name}: expected a WASI command module exporting _start, got exports [${loaded.layout.functionExports.join(', ')}]`);
    }
    // A command's C library keeps stdin at end of file once main read it: entered again, every
    // later request would find an empty body. Refused rather than served without bodies.
    if (loaded.reuse && loaded.layout.imports.some((i) => i.module === WASI_MODULE && i.name === 'fd_read')) {
      throw new NodeRuntimeError(
        'UnsupportedModule',
        `function ${loaded.name}: expected no ${REUSE_ANNOTATION}: "true" on a WASI command module that reads its request body (it imports fd_read), got it; such a module cannot be entered again with a new body (its C library keeps stdin at end of file after the first request); remove the annotation`,
      );
    }
    const t0 = process.hrtime.bigint();
    const linked = await capabilities.link(loaded);
    return new ModuleInstances(loaded, linked, micros(t0), interrupt);
  }

  /** Live instances held (0 or 1), for the instances gauge. */
  get count(): number {
    return this.live ? 1 : 0;
  }

  private instantiate(): Live {
    const capabilities = this.linked.instantiate();
    const imports: WebAssembly.Imports = {};
    for (const c of capabilities) Object.assign(imports, c.imports);
    if (this.loaded.layout.interruptible) imports[INTERRUPT_IMPORT.module] = { [INTERRUPT_IMPORT.name]: this.interrupt };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(this.loaded.module, imports);
    } catch (err) {
      // Linking checked names; V8 still refuses a mistyped import (LinkError) or a missing one (TypeError).
      if (err instanceof WebAssembly.LinkError || err instanceof TypeError) {
        throw new NodeRuntimeError('UnsupportedModule', `function ${this.loaded.name}: expected imports of the types the host capabilities provide, got a link error: ${err.message}`, { cause: err });
      }
      throw this.classify(err, undefined);
    }
    const exports = instance.exports;
    const memory = exports[this.loaded.layout.memoryExport] as WebAssembly.Memory;
    for (const c of capabilities) c.bind?.(memory);
    const globals = this.loaded.layout.mutableGlobalExports.map((n) => exports[n] as WebAssembly.Global);
    return {
      instance,
      capabilities,
      memory,
      globals,
      start: exports._start as () => void,
      snapshot: { memory: snapshotMemory(memory), length: memory.buffer.byteLength, globals: globals.map((g) => g.value) },
      dirty: false,
      failed: false,
    };
  }

  /**
   * Makes the instance now, ahead of the first run (a placement's pre-instantiation): that run is
   * then warm. The start section runs here, so the caller holds a deadline over it, as a run does.
   * Throws as instantiation does.
   */
  prepare(): void {
    if (this.live) return;
    this.live = this.instantiate();
    this.started = true;
    this.linkMicros = 0;
  }

  /** Runs `_start` once with `io`. Throws a NodeRuntimeError for traps; returns the exit code otherwise. */
  run(io: WasiIo): RunResult {
    this.recycle();
    let cold = false;
    let initMicros = 0;
    if (!this.live) {
      const t0 = process.hrtime.bigint();
      this.live = this.instantiate();
      if (!this.started) {
        initMicros = micros(t0) + this.linkMicros;
        this.linkMicros = 0;
        cold = true;
        this.started = true;
      }
    }
    const live = this.live;
    live.dirty = true;
    // Indexed loops: this is the request path, and they allocate nothing.
    const capabilities = live.capabilities;
    let begun = 0;
    try {
      for (; begun < capabilities.length; begun++) capabilities[begun]!.begin?.(io);
      live.start();
      return { exitCode: 0, cold, initMicros };
    } catch (err) {
      if (err instanceof WasiExit) return { exitCode: err.code, cold, initMicros };
      live.failed = true;
      throw this.classify(err, live);
    } finally {
      for (let i = 0; i < begun; i++) capabilities[i]!.end?.();
    }
  }

  /**
   * Makes the held instance pristine for the next invocation, or drops it for the next one to make
   * anew (no guest code runs here: this is outside any deadline). Called after the response is on
   * its way, so the reset is off the request path; `run` calls it too in case.
   */
  recycle(): void {
    const live = this.live;
    if (!live?.dirty) return;
    if (this.loaded.reuse && !live.failed) {
      live.dirty = false;
      return;
    }
    const layout = this.loaded.layout;
    if (this.loaded.reuse || !layout.resettable || live.memory.buffer.byteLength !== live.snapshot.length) {
      this.live = undefined;
      return;
    }
    const bytes = new Uint8Array(live.memory.buffer);
    bytes.set(live.snapshot.memory);
    bytes.fill(0, live.snapshot.memory.length);
    live.globals.forEach((g, i) => {
      g.value = live.snapshot.globals[i];
    });
    live.dirty = false;
    live.failed = false;
  }

  /** Drops the held instance (e.g. the module was removed from the desired state). */
  drop(): void {
    this.live = undefined;
  }

  private classify(err: unknown, live: Live | undefined): NodeRuntimeError {
    const name = this.loaded.name;
    if (err instanceof NodeRuntimeError) return err;
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      return new NodeRuntimeError('StackOverflow', `function ${name} overflowed its stack (${err.message}); look for unbounded recursion`, { cause: err });
    }
    if (err instanceof WebAssembly.RuntimeError) {
      const maxBytes = this.loaded.layout.maxPages * PAGE;
      if (live && live.memory.buffer.byteLength >= maxBytes) {
        return new NodeRuntimeError('MemoryLimitExceeded', `function ${name} trapped (${err.message}) with its memory at the ${this.loaded.layout.maxPages}-page limit, where memory.grow fails; raise limits.memoryPages or allocate less`, { cause: err });
      }
      return new NodeRuntimeError('Trap', `function ${name} trapped: ${err.message}`, { cause: err });
    }
    return new NodeRuntimeError('Trap', `function ${name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
