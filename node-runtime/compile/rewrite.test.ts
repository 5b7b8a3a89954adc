import { describe, expect, it } from 'vitest';
import { sleb, u32leb } from '../../artifacts/wasm-encoding.ts';
import { assemble, I32, I64, OP, wagiCounter, wagiHello } from '../testing/assemble.ts';
import { scanCode } from './code-scan.ts';
import { GLOBAL_EXPORT_PREFIX, MEMORY_EXPORT, rewriteModule } from './rewrite.ts';
import { readOutline, readSections } from './wasm-binary.ts';

const VOID = { params: [], results: [] };

function withBody(body: number[], extra: Partial<Parameters<typeof assemble>[0]> = {}): Uint8Array {
  return assemble({ types: [VOID], funcs: [{ type: 0, body }], memory: { min: 1 }, exports: [{ name: '_start', kind: 'func', index: 0 }], ...extra });
}

describe('wasm binary reader', () => {
  it('reads LEB128 edge values back', () => {
    for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 - 1]) {
      const bytes = assemble({ types: [VOID], funcs: [{ type: 0, body: [] }], memory: { min: 1, max: n < 65536 ? Math.max(1, n) : 65536 } });
      expect(readOutline(bytes).memories[0]!.max).toBe(n < 65536 ? Math.max(1, n) : 65536);
      expect(u32leb(n).length).toBe(n < 128 ? 1 : n < 16384 ? 2 : n < 2 ** 21 ? 3 : n < 2 ** 28 ? 4 : 5);
    }
  });

  it.each([
    ['no magic', new Uint8Array([1, 2, 3, 4, 1, 0, 0, 0]), /magic/],
    ['a component (version 0x0d)', new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), /version/],
    ['a truncated section', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 0]), /truncated/],
    ['sections out of order', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 3, 1, 0, 1, 1, 0]), /out of order/],
  ])('refuses %s', (_name, bytes, message) => {
    expect(() => readSections(bytes)).toThrow(message);
  });

  it('reads imports, globals and exports', () => {
    const o = readOutline(wagiCounter());
    expect(o.imports).toEqual([{ module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 0 }]);
    expect(o.globals).toEqual([{ valueType: I32, mutable: true }]);
    expect(o.exports.map((e) => e.name)).toEqual(['memory', '_start']);
  });
});

describe('rewriteModule', () => {
  it('exports every mutable global and keeps the module valid', async () => {
    const bytes = assemble({
      types: [VOID],
      funcs: [{ type: 0, body: [] }],
      memory: { min: 1 },
      globals: [{ type: I32, mutable: true, init: 65536 }, { type: I64, mutable: false, init: 7 }, { type: I64, mutable: true, init: -1 }],
      exports: [{ name: 'memory', kind: 'memory', index: 0 }, { name: '_start', kind: 'func', index: 0 }, { name: 'g2', kind: 'global', index: 2 }],
    });
    const { bytes: out, layout } = rewriteModule(bytes, 16);
    expect(layout.mutableGlobalExports).toEqual([`${GLOBAL_EXPORT_PREFIX}0`, 'g2']);
    expect(layout.memoryExport).toBe('memory');
    const instance = new WebAssembly.Instance(await WebAssembly.compile(out));
    expect((instance.exports[`${GLOBAL_EXPORT_PREFIX}0`] as WebAssembly.Global).value).toBe(65536);
    expect(instance.exports[`${GLOBAL_EXPORT_PREFIX}1`]).toBeUndefined(); // immutable: not exported
  });

  it('adds an export section and a memory export when the module has none', async () => {
    const bytes = assemble({ types: [VOID], funcs: [{ type: 0, body: [] }], memory: { min: 2 } });
    const { bytes: out, layout } = rewriteModule(bytes, 4);
    expect(layout.memoryExport).toBe(MEMORY_EXPORT);
    const mem = new WebAssembly.Instance(await WebAssembly.compile(out)).exports[MEMORY_EXPORT] as WebAssembly.Memory;
    expect(mem.buffer.byteLength).toBe(2 * 65536);
  });

  it.each([
    { declared: undefined, limit: 4, enforced: 4 },
    { declared: 3, limit: 4, enforced: 3 },
    { declared: 100, limit: 10, enforced: 10 },
  ])('caps the memory maximum (declared $declared, limit $limit) so memory.grow past it fails', async ({ declared, limit, enforced }) => {
    const bytes = assemble({
      types: [{ params: [I32], results: [I32] }],
      funcs: [{ type: 0, body: [OP.local_get, 0, OP.memory_grow, 0] }],
      memory: declared === undefined ? { min: 1 } : { min: 1, max: declared },
      exports: [{ name: 'grow', kind: 'func', index: 0 }, { name: 'memory', kind: 'memory', index: 0 }],
    });
    const { bytes: out, layout } = rewriteModule(bytes, limit);
    expect(layout.maxPages).toBe(enforced);
    const grow = new WebAssembly.Instance(await WebAssembly.compile(out)).exports.grow as (n: number) => number;
    expect(grow(enforced)).toBe(-1); // 1 + enforced pages is one too many
    expect(grow(enforced - 1)).toBe(1);
    expect(grow(1)).toBe(-1);
  });

  it('refuses a limit below the initial memory, naming both numbers', () => {
    const bytes = assemble({ types: [VOID], funcs: [{ type: 0, body: [] }], memory: { min: 8 } });
    expect(() => rewriteModule(bytes, 4)).toThrow(/memory limit \(4 pages\).*8 initial pages/);
  });

  it('refuses modules without exactly one own memory', () => {
    expect(() => rewriteModule(assemble({ types: [VOID], funcs: [{ type: 0, body: [] }] }), 4)).toThrow(/exactly one memory/);
  });

  it('refuses a module that already uses a reserved export name', () => {
    const bytes = assemble({ types: [VOID], funcs: [{ type: 0, body: [] }], memory: { min: 1 }, exports: [{ name: MEMORY_EXPORT, kind: 'func', index: 0 }] });
    expect(() => rewriteModule(bytes, 4)).toThrow(/reserved/);
  });

  it('copies code and data byte for byte', () => {
    const bytes = wagiHello();
    const { bytes: out } = rewriteModule(bytes, 4);
    const tail = (b: Uint8Array) => {
      const s = readSections(b);
      const code = s.find((x) => x.id === 10)!;
      return b.subarray(code.start);
    };
    expect(Buffer.from(tail(out)).equals(Buffer.from(tail(bytes)))).toBe(true);
  });
});

describe('scanCode', () => {
  const scan = (bytes: Uint8Array) => scanCode(bytes, readSections(bytes));
  it.each([
    ['plain arithmetic and memory', [OP.i32_const, ...sleb(1000), OP.i32_const, 5, OP.i32_store, 2, 0], true],
    ['a byte inside an immediate that looks like table.set (0x26)', [OP.i32_const, 0x26, OP.drop], true],
    ['i64.const with a long immediate', [0x42, ...sleb(-(2 ** 40)), OP.drop], true],
    ['table.set', [OP.i32_const, 0, 0xd0, 0x70, 0x26, 0], false],
    ['table.grow', [0xd0, 0x70, OP.i32_const, 1, 0xfc, 15, 0, OP.drop], false],
    ['data.drop', [0xfc, 9, 0], false],
    ['an unknown opcode (GC prefix)', [0xfb, 0], false],
  ])('%s -> resettable %s', (_name, body, resettable) => {
    const bytes = withBody(body, { table: { min: 1 } });
    expect(scan(bytes).resettable).toBe(resettable);
  });
});
