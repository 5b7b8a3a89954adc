/**
 * A tiny WebAssembly assembler for tests and benchmarks: hand-written modules as bytes, so the
 * engine's tests do not depend on a toolchain. Not used by the runtime itself.
 */
import { sleb, u32leb } from '../../artifacts/wasm-encoding.ts';
import { encodeName, encodeSection } from '../compile/wasm-binary.ts';

export const I32 = 0x7f;
export const I64 = 0x7e;

export interface FuncType { readonly params: readonly number[]; readonly results: readonly number[] }
export interface AsmImport { readonly module: string; readonly name: string; readonly type: number }
export interface AsmFunc { readonly type: number; readonly locals?: readonly number[]; readonly body: readonly number[] }
export interface AsmGlobal { readonly type: number; readonly mutable: boolean; readonly init: number }
export interface AsmExport { readonly name: string; readonly kind: 'func' | 'memory' | 'global' | 'table'; readonly index: number }
export interface AsmModule {
  readonly types: readonly FuncType[];
  readonly imports?: readonly AsmImport[];
  readonly funcs: readonly AsmFunc[];
  readonly table?: { readonly min: number; readonly max?: number };
  readonly memory?: { readonly min: number; readonly max?: number };
  readonly globals?: readonly AsmGlobal[];
  readonly exports?: readonly AsmExport[];
  readonly start?: number;
  readonly data?: readonly { readonly offset: number; readonly bytes: Uint8Array | string }[];
}

const KIND = { func: 0, table: 1, memory: 2, global: 3 } as const;

function vec<T>(items: readonly T[], enc: (t: T) => number[]): number[] {
  return [...u32leb(items.length), ...items.flatMap(enc)];
}

function limits(l: { min: number; max?: number }): number[] {
  return l.max === undefined ? [0, ...u32leb(l.min)] : [1, ...u32leb(l.min), ...u32leb(l.max)];
}

/** Assembles a module. */
export function assemble(m: AsmModule): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0])];
  parts.push(encodeSection(1, vec(m.types, (t) => [0x60, ...vec(t.params, (p) => [p]), ...vec(t.results, (p) => [p])])));
  if (m.imports?.length) parts.push(encodeSection(2, vec(m.imports, (i) => [...encodeName(i.module), ...encodeName(i.name), 0, ...u32leb(i.type)])));
  parts.push(encodeSection(3, vec(m.funcs, (f) => u32leb(f.type))));
  if (m.table) parts.push(encodeSection(4, [1, 0x70, ...limits(m.table)]));
  if (m.memory) parts.push(encodeSection(5, [1, ...limits(m.memory)]));
  if (m.globals?.length) {
    parts.push(encodeSection(6, vec(m.globals, (g) => [g.type, g.mutable ? 1 : 0, g.type === I64 ? 0x42 : 0x41, ...sleb(g.init), 0x0b])));
  }
  if (m.exports?.length) parts.push(encodeSection(7, vec(m.exports, (e) => [...encodeName(e.name), KIND[e.kind], ...u32leb(e.index)])));
  if (m.start !== undefined) parts.push(encodeSection(8, u32leb(m.start)));
  parts.push(encodeSection(10, vec(m.funcs, (f) => {
    const locals = f.locals ?? [];
    const body = [...vec(locals, (t) => [1, t]), ...f.body, 0x0b];
    return [...u32leb(body.length), ...body];
  })));
  if (m.data?.length) {
    parts.push(encodeSection(11, vec(m.data, (d) => {
      const bytes = typeof d.bytes === 'string' ? new TextEncoder().encode(d.bytes) : d.bytes;
      return [0, 0x41, ...sleb(d.offset), 0x0b, ...u32leb(bytes.length), ...bytes];
    })));
  }
  return Buffer.concat(parts);
}

// Opcodes used by the fixtures below.
export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  call: 0x10, drop: 0x1a, local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i32_store: 0x36, i32_store8: 0x3a, memory_grow: 0x40, i32_const: 0x41, i32_eqz: 0x45, i32_add: 0x6a, i32_sub: 0x6b,
  i32_lt_s: 0x48,
} as const;

const WASI = 'wasi_snapshot_preview1';
const T_FD_WRITE = 0; // (fd, iovs, iovs_len, nwritten) -> errno
const T_VOID = 1;
const T_EXIT = 0; // in misbehaving(): (code) -> ()
const T_FD_READ = 0;

/**
 * A WAGI "hello": writes `Content-Type: text/plain\n\n` + `body` to stdout. Data at 64, iovec at 0.
 */
export function wagiHello(body = 'hello\n'): Uint8Array {
  const text = `Content-Type: text/plain\n\n${body}`;
  const len = new TextEncoder().encode(text).length;
  return assemble({
    types: [{ params: [I32, I32, I32, I32], results: [I32] }, { params: [], results: [] }],
    imports: [{ module: WASI, name: 'fd_write', type: T_FD_WRITE }],
    funcs: [{
      type: T_VOID,
      body: [
        OP.i32_const, 0, OP.i32_const, ...sleb(64), OP.i32_store, 2, 0, // iov.buf = 64
        OP.i32_const, 4, OP.i32_const, ...sleb(len), OP.i32_store, 2, 0, // iov.len
        OP.i32_const, 1, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 8, OP.call, 0, OP.drop,
      ],
    }],
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 1 }],
    data: [{ offset: 64, bytes: text }],
  });
}

/**
 * A stateful WAGI function for leak tests: it increments a byte in memory (offset 200) and a
 * mutable, non-exported global, then prints both as digits '0'+n. A pristine instance always
 * prints "11"; a leaking one prints "22", "33", ...
 */
export function wagiCounter(): Uint8Array {
  const header = 'Content-Type: text/plain\n\n';
  const hlen = header.length;
  return assemble({
    types: [{ params: [I32, I32, I32, I32], results: [I32] }, { params: [], results: [] }],
    imports: [{ module: WASI, name: 'fd_write', type: T_FD_WRITE }],
    funcs: [{
      type: T_VOID,
      body: [
        // mem[200] += 1; global0 += 1
        OP.i32_const, ...sleb(200), OP.i32_const, ...sleb(200), 0x2d, 0, 0 /* i32.load8_u */, OP.i32_const, 1, OP.i32_add, OP.i32_store8, 0, 0,
        OP.global_get, 0, OP.i32_const, 1, OP.i32_add, OP.global_set, 0,
        // text[hlen] = '0' + mem[200]; text[hlen+1] = '0' + global0   (text at 64)
        OP.i32_const, ...sleb(64 + hlen), OP.i32_const, ...sleb(200), 0x2d, 0, 0, OP.i32_const, 48, OP.i32_add, OP.i32_store8, 0, 0,
        OP.i32_const, ...sleb(64 + hlen + 1), OP.global_get, 0, OP.i32_const, 48, OP.i32_add, OP.i32_store8, 0, 0,
        OP.i32_const, 0, OP.i32_const, ...sleb(64), OP.i32_store, 2, 0,
        OP.i32_const, 4, OP.i32_const, ...sleb(hlen + 2), OP.i32_store, 2, 0,
        OP.i32_const, 1, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 8, OP.call, 0, OP.drop,
      ],
    }],
    memory: { min: 1 },
    globals: [{ type: I32, mutable: true, init: 0 }],
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 1 }],
    data: [{ offset: 64, bytes: `${header}??` }],
  });
}

/** Misbehaving modules: `loop` spins forever, `trap` hits unreachable, `stack` recurses without end, `exit3` calls proc_exit(3). */
export function misbehaving(kind: 'loop' | 'trap' | 'stack' | 'exit3'): Uint8Array {
  const bodies: Record<typeof kind, number[]> = {
    loop: [OP.loop, 0x40, OP.br, 0, OP.end],
    trap: [OP.unreachable],
    stack: [OP.call, 1],
    exit3: [OP.i32_const, 3, OP.call, 0],
  };
  return assemble({
    types: [{ params: [I32], results: [] }, { params: [], results: [] }],
    imports: [{ module: WASI, name: 'proc_exit', type: T_EXIT }],
    funcs: [{ type: T_VOID, body: bodies[kind] }],
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 1 }],
  });
}

/** A module whose `_start` grows memory by `pages` and answers (WAGI) "grew" or "refused". */
export function grower(pages: number): Uint8Array {
  const header = 'Content-Type: text/plain\n\n';
  const hlen = header.length;
  return assemble({
    types: [{ params: [I32, I32, I32, I32], results: [I32] }, { params: [], results: [] }],
    imports: [{ module: WASI, name: 'fd_write', type: T_FD_WRITE }],
    funcs: [{
      type: T_VOID,
      body: [
        // iov.buf = 64 (header + "grew") or 128 (header + "refused")
        OP.i32_const, 0,
        OP.i32_const, ...sleb(pages), OP.memory_grow, 0, OP.i32_const, ...sleb(-1), 0x46 /* i32.eq */,
        OP.if, I32, OP.i32_const, ...sleb(128), OP.else, OP.i32_const, ...sleb(64), OP.end,
        OP.i32_store, 2, 0,
        OP.i32_const, 4, OP.i32_const, 0, OP.i32_load, 2, 0, OP.i32_const, ...sleb(128), 0x46,
        OP.if, I32, OP.i32_const, ...sleb(hlen + 7), OP.else, OP.i32_const, ...sleb(hlen + 4), OP.end,
        OP.i32_store, 2, 0,
        OP.i32_const, 1, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 8, OP.call, 0, OP.drop,
      ],
    }],
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 1 }],
    data: [{ offset: 64, bytes: `${header}grew` }, { offset: 128, bytes: `${header}refused` }],
  });
}

/**
 * An echo: reads stdin into memory (one fd_read, up to 4 KiB) and writes a WAGI response with it;
 * with `spins`, it first counts down a loop that many times (a slow function whose answer shows
 * it got its body).
 */
export function wagiEcho(spins = 0): Uint8Array {
  const header = 'Content-Type: application/octet-stream\n\n';
  const hlen = header.length;
  // local 0 = spins; loop { local 0 -= 1; br_if local 0 != 0 }
  const spin = spins > 0 ? [OP.i32_const, ...sleb(spins), OP.local_set, 0, OP.loop, 0x40, OP.local_get, 0, OP.i32_const, 1, OP.i32_sub, OP.local_tee, 0, OP.br_if, 0, OP.end] : [];
  return assemble({
    types: [{ params: [I32, I32, I32, I32], results: [I32] }, { params: [], results: [] }],
    imports: [{ module: WASI, name: 'fd_read', type: T_FD_READ }, { module: WASI, name: 'fd_write', type: T_FD_WRITE }],
    funcs: [{
      type: T_VOID,
      locals: spins > 0 ? [I32] : [],
      body: [
        ...spin,
        // iov{buf=1024+hlen, len=4096}; fd_read(0, iov@0, 1, nread@8)
        OP.i32_const, 0, OP.i32_const, ...sleb(1024 + hlen), OP.i32_store, 2, 0,
        OP.i32_const, 4, OP.i32_const, ...sleb(4096), OP.i32_store, 2, 0,
        OP.i32_const, 0, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 8, OP.call, 0, OP.drop,
        // iov{buf=1024, len=hlen+nread}; fd_write(1, ...)
        OP.i32_const, 0, OP.i32_const, ...sleb(1024), OP.i32_store, 2, 0,
        OP.i32_const, 4, OP.i32_const, 8, OP.i32_load, 2, 0, OP.i32_const, ...sleb(hlen), OP.i32_add, OP.i32_store, 2, 0,
        OP.i32_const, 1, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 12, OP.call, 1, OP.drop,
      ],
    }],
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 2 }],
    data: [{ offset: 1024, bytes: header }],
  });
}

/**
 * A WAGI "cat": opens `file` in the first preopened directory (fd 3), reads it (one fd_read, up to
 * 4 KiB) and answers with its bytes. Traps when the open fails, so a missing grant shows as a 500.
 */
export function wagiCat(file: string): Uint8Array {
  const header = 'Content-Type: text/plain\n\n';
  const hlen = header.length;
  const plen = new TextEncoder().encode(file).length;
  const T_PATH_OPEN = 2;
  return assemble({
    types: [{ params: [I32, I32, I32, I32], results: [I32] }, { params: [], results: [] }, { params: [I32, I32, I32, I32, I32, I64, I64, I32, I32], results: [I32] }],
    imports: [{ module: WASI, name: 'fd_read', type: T_FD_READ }, { module: WASI, name: 'fd_write', type: T_FD_WRITE }, { module: WASI, name: 'path_open', type: T_PATH_OPEN }],
    funcs: [{
      type: T_VOID,
      body: [
        // path_open(3, 0, path@128, plen, 0, rights fd_read, 0, 0, fd@16); trap unless errno 0
        OP.i32_const, 3, OP.i32_const, 0, OP.i32_const, ...sleb(128), OP.i32_const, ...sleb(plen), OP.i32_const, 0,
        0x42 /* i64.const */, 2, 0x42, 0, OP.i32_const, 0, OP.i32_const, 16, OP.call, 2,
        OP.if, 0x40, OP.unreachable, OP.end,
        // iov{buf=1024+hlen, len=4096}; fd_read(fd, iov@0, 1, nread@8)
        OP.i32_const, 0, OP.i32_const, ...sleb(1024 + hlen), OP.i32_store, 2, 0,
        OP.i32_const, 4, OP.i32_const, ...sleb(4096), OP.i32_store, 2, 0,
        OP.i32_const, 16, OP.i32_load, 2, 0, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 8, OP.call, 0, OP.drop,
        // iov{buf=1024, len=hlen+nread}; fd_write(1, ...)
        OP.i32_const, 0, OP.i32_const, ...sleb(1024), OP.i32_store, 2, 0,
        OP.i32_const, 4, OP.i32_const, 8, OP.i32_load, 2, 0, OP.i32_const, ...sleb(hlen), OP.i32_add, OP.i32_store, 2, 0,
        OP.i32_const, 1, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 12, OP.call, 1, OP.drop,
      ],
    }],
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 3 }],
    data: [{ offset: 128, bytes: file }, { offset: 1024, bytes: header }],
  });
}

/**
 * A WAGI function that sleeps `ms` (one relative clock subscription to poll_oneoff, as C's
 * `nanosleep` does) and then answers `body`: a request that stays in flight for a known time.
 */
export function wagiSleep(ms: number, body = 'slept\n'): Uint8Array {
  const text = `Content-Type: text/plain\n\n${body}`;
  const len = new TextEncoder().encode(text).length;
  // Subscription at 256 (48 bytes): userdata 0, tag 0 (clock), clock id 1 (monotonic) at +16, timeout ns at +24, flags 0 (relative).
  const sub = new Uint8Array(48);
  const view = new DataView(sub.buffer);
  view.setUint32(16, 1, true);
  view.setBigUint64(24, BigInt(ms) * 1_000_000n, true);
  return assemble({
    // fd_write and poll_oneoff share (i32, i32, i32, i32) -> i32.
    types: [{ params: [I32, I32, I32, I32], results: [I32] }, { params: [], results: [] }],
    imports: [{ module: WASI, name: 'fd_write', type: T_FD_WRITE }, { module: WASI, name: 'poll_oneoff', type: 0 }],
    funcs: [{
      type: T_VOID,
      body: [
        OP.i32_const, ...sleb(256), OP.i32_const, ...sleb(320), OP.i32_const, 1, OP.i32_const, ...sleb(360), OP.call, 1, OP.drop, // poll_oneoff(sub, event out, 1, nevents)
        OP.i32_const, 0, OP.i32_const, ...sleb(512), OP.i32_store, 2, 0, // iov.buf = 512
        OP.i32_const, 4, OP.i32_const, ...sleb(len), OP.i32_store, 2, 0, // iov.len
        OP.i32_const, 1, OP.i32_const, 0, OP.i32_const, 1, OP.i32_const, 8, OP.call, 0, OP.drop,
      ],
    }],
    memory: { min: 1 },
    exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 2 }],
    data: [{ offset: 256, bytes: sub }, { offset: 512, bytes: text }],
  });
}
