/**
 * A reader for the parts of the WebAssembly binary format the compile stage needs: the section
 * list, imports, tables, memories, globals and exports. It does not validate the module (V8 does
 * that when it compiles); it only decodes enough to rewrite it safely and refuses anything it does
 * not understand, so a rewrite never silently produces a different module than it claims. The
 * primitive values (LEB128, names) are artifacts' WasmReader, the one decoder of them.
 */
import { u32leb, WasmReader } from '../../artifacts/wasm-encoding.ts';
import { NodeRuntimeError } from '../errors.ts';

export const SECTION = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7,
  start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13,
} as const;

/** Position of each known section id in the order the spec requires (custom sections go anywhere). */
const SECTION_ORDER: Readonly<Record<number, number>> = {
  1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13,
};

export const EXTERNAL_KIND = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

export interface Section {
  readonly id: number;
  /** Offset of the section id byte. */
  readonly start: number;
  /** Offset of the first payload byte. */
  readonly payloadStart: number;
  /** Offset one past the last payload byte. */
  readonly end: number;
}

export interface Limits {
  readonly min: number;
  readonly max: number | undefined;
  readonly shared: boolean;
  readonly is64: boolean;
}

export interface Import {
  readonly module: string;
  readonly name: string;
  readonly kind: number;
}

export interface Global {
  readonly valueType: number;
  readonly mutable: boolean;
}

export interface Export {
  readonly name: string;
  readonly kind: number;
  readonly index: number;
}

/** The decoded outline of a module: enough to plan a rewrite and to link its imports. */
export interface ModuleOutline {
  readonly sections: readonly Section[];
  readonly imports: readonly Import[];
  readonly importedCounts: Readonly<Record<'func' | 'table' | 'memory' | 'global', number>>;
  readonly tables: readonly Limits[];
  readonly memories: readonly Limits[];
  readonly globals: readonly Global[];
  readonly exports: readonly Export[];
}

function invalid(what: string): NodeRuntimeError {
  return new NodeRuntimeError('InvalidModule', `expected a valid WebAssembly binary, got ${what}; rebuild the module for wasm32-wasi`);
}

/** A cursor over a module: the primitive decoders, InvalidModule on malformed input, and the module's own types. */
export class Reader extends WasmReader {
  constructor(bytes: Uint8Array, pos = 0) {
    super(bytes, pos, invalid);
  }

  limits(): Limits {
    const flags = this.byte();
    if (flags > 7) throw invalid(`limits flags 0x${flags.toString(16)}`);
    const is64 = (flags & 4) !== 0;
    // Memory64 limits are u64; we only need to report them, so read as u32 when they fit and refuse otherwise.
    const min = this.u32();
    const max = (flags & 1) !== 0 ? this.u32() : undefined;
    return { min, max, shared: (flags & 2) !== 0, is64 };
  }

  /** Skips a constant expression (global initialisers, segment offsets) up to and including `end`. */
  skipConstExpr(): void {
    for (;;) {
      const op = this.byte();
      switch (op) {
        case 0x0b: return;
        case 0x41: this.s32(); break;
        case 0x42: this.s64(); break;
        case 0x43: this.skip(4); break;
        case 0x44: this.skip(8); break;
        case 0x23: case 0xd2: this.u32(); break;
        case 0xd0: this.s33(); break;
        case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // extended-const arithmetic
        case 0xfd: if (this.u32() !== 12) throw invalid('a SIMD constant expression other than v128.const'); this.skip(16); break;
        default: throw invalid(`opcode 0x${op.toString(16)} in a constant expression`);
      }
    }
  }

  /** Reads a value type; reference types with a heap type immediate are accepted and skipped. */
  valueType(): number {
    const t = this.byte();
    if (t === 0x63 || t === 0x64) this.s33();
    return t;
  }
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Splits a module into its sections, checking the header and that every section fits. */
export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw invalid('a file without the \\0asm magic');
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw invalid(`binary format version ${bytes[4]} (a component or a newer layer?); only core modules version 1 run here`);
  }
  const r = new Reader(bytes, 8);
  const sections: Section[] = [];
  let lastOrder = 0;
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const payloadStart = r.pos;
    r.skip(size);
    if (id !== SECTION.custom) {
      const order = SECTION_ORDER[id];
      if (order === undefined) throw invalid(`unknown section id ${id}`);
      if (order <= lastOrder) throw invalid(`section id ${id} out of order or repeated`);
      lastOrder = order;
    }
    sections.push({ id, start, payloadStart, end: r.pos });
  }
  return sections;
}

function readVec<T>(r: Reader, one: (r: Reader) => T): T[] {
  const n = r.u32();
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(one(r));
  return out;
}

function readTableType(r: Reader): Limits {
  r.valueType();
  return r.limits();
}

/** Decodes the outline of a module (see ModuleOutline). */
export function readOutline(bytes: Uint8Array): ModuleOutline {
  const sections = readSections(bytes);
  const imports: Import[] = [];
  const importedCounts = { func: 0, table: 0, memory: 0, global: 0 };
  let tables: Limits[] = [];
  let memories: Limits[] = [];
  let globals: Global[] = [];
  let exports: Export[] = [];
  const importedGlobals: Global[] = [];
  for (const s of sections) {
    const r = new Reader(bytes.subarray(0, s.end), s.payloadStart);
    switch (s.id) {
      case SECTION.import:
        for (const imp of readVec(r, (r) => {
          const module = r.name();
          const name = r.name();
          const kind = r.byte();
          switch (kind) {
            case EXTERNAL_KIND.func: r.u32(); importedCounts.func++; break;
            case EXTERNAL_KIND.table: readTableType(r); importedCounts.table++; break;
            case EXTERNAL_KIND.memory: r.limits(); importedCounts.memory++; break;
            case EXTERNAL_KIND.global: importedGlobals.push({ valueType: r.valueType(), mutable: r.byte() === 1 }); importedCounts.global++; break;
            case EXTERNAL_KIND.tag: r.byte(); r.u32(); break;
            default: throw invalid(`import kind ${kind}`);
          }
          return { module, name, kind };
        })) imports.push(imp);
        break;
      case SECTION.table: tables = readVec(r, readTableType); break;
      case SECTION.memory: memories = readVec(r, (r) => r.limits()); break;
      case SECTION.global:
        globals = readVec(r, (r) => {
          const valueType = r.valueType();
          const mut = r.byte();
          if (mut > 1) throw invalid(`global mutability flag ${mut}`);
          r.skipConstExpr();
          return { valueType, mutable: mut === 1 };
        });
        break;
      case SECTION.export:
        exports = readVec(r, (r) => ({ name: r.name(), kind: r.byte(), index: r.u32() }));
        break;
      default: continue;
    }
    if (r.pos !== s.end) throw invalid(`section id ${s.id} with ${s.end - r.pos} trailing bytes`);
  }
  return { sections, imports, importedCounts, tables, memories, globals, exports };
}

/** Encodes a name (length-prefixed UTF-8). */
export function encodeName(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...u32leb(b.length), ...b];
}

/** Encodes a section with its id and size prefix. */
export function encodeSection(id: number, payload: readonly number[] | Uint8Array): Uint8Array {
  const size = u32leb(payload.length);
  const out = new Uint8Array(1 + size.length + payload.length);
  out[0] = id;
  out.set(size, 1);
  out.set(payload, 1 + size.length);
  return out;
}

/** Where a new section with `id` goes: the index of the first known section that must follow it. */
export function insertionIndex(sections: readonly Section[], id: number): number {
  const order = SECTION_ORDER[id] ?? 0;
  const i = sections.findIndex((s) => s.id !== SECTION.custom && (SECTION_ORDER[s.id] ?? 0) > order);
  return i === -1 ? sections.length : i;
}
