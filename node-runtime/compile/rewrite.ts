/**
 * The compile-time rewrite that makes a module resettable and bounded:
 * - every mutable global the module defines is exported (as `__flotilla_global_<index>` unless it
 *   already is), because JS can only read and restore globals it can see (e.g. `__stack_pointer`);
 * - the defined memory is exported (WASI needs it anyway) and its maximum is capped at the
 *   function's limit, so a `memory.grow` past the limit returns -1 inside the module instead of
 *   growing the node's memory.
 * Only the export and memory sections change; code, data and everything else are copied byte for byte.
 */
import { u32leb } from '../../artifacts/wasm-encoding.ts';
import { NodeRuntimeError } from '../errors.ts';
import {
  encodeName, encodeSection, EXTERNAL_KIND, insertionIndex, readOutline, SECTION,
  type Import, type ModuleOutline,
} from './wasm-binary.ts';
import { scanCode } from './code-scan.ts';
import { isInterruptImport } from './interrupt.ts';

/** The one WASI memory's hard upper bound: 65536 pages of 64 KiB is the whole 32-bit address space. */
export const MAX_PAGES = 65536;

/** What the engine needs to know about a rewritten module to snapshot and reset its instances. */
export interface ModuleLayout {
  /** Export name of the module's memory. */
  readonly memoryExport: string;
  readonly initialPages: number;
  /** The enforced maximum: min(declared maximum, function limit). */
  readonly maxPages: number;
  /** Export names of every mutable global the module defines, in index order. */
  readonly mutableGlobalExports: readonly string[];
  /** True when resetting memory and globals gives a pristine instance (see code-scan.ts). */
  readonly resettable: boolean;
  readonly notResettableReason?: string;
  /** The module's imports, the deadline check's own (interrupt.ts) left out. */
  readonly imports: readonly Import[];
  /** True when the module carries deadline checks (interrupt.ts): it must be given `__flotilla.interrupt`. */
  readonly interruptible: boolean;
  /** Exported function names (to find `_start`). */
  readonly functionExports: readonly string[];
}

export interface RewriteResult {
  readonly bytes: Uint8Array;
  readonly layout: ModuleLayout;
}

export const GLOBAL_EXPORT_PREFIX = '__flotilla_global_';
export const MEMORY_EXPORT = '__flotilla_memory';

function unsupported(what: string): NodeRuntimeError {
  return new NodeRuntimeError('UnsupportedModule', what);
}

function encodeLimits(min: number, max: number): number[] {
  return [0x01, ...u32leb(min), ...u32leb(max)];
}

/** Checks what the rewrite and the engine rely on; each refusal says what to change. */
function check(outline: ModuleOutline): void {
  if (outline.importedCounts.memory > 0) throw unsupported('expected the module to define its memory, got an imported memory; build a WASI command module (e.g. clang --target=wasm32-wasi, GOOS=wasip1)');
  if (outline.memories.length !== 1) throw unsupported(`expected exactly one memory, got ${outline.memories.length}; build a WASI command module`);
  const mem = outline.memories[0]!;
  if (mem.is64) throw unsupported('expected a 32-bit memory, got memory64; build for wasm32');
  if (mem.shared) throw unsupported('expected an unshared memory, got a shared one (threads); build without -pthread/atomics');
}

/** Rewrites `bytes` for a function whose memory limit is `limitPages` (see the file comment). */
export function rewriteModule(bytes: Uint8Array, limitPages: number): RewriteResult {
  if (!Number.isInteger(limitPages) || limitPages < 1 || limitPages > MAX_PAGES) {
    throw new NodeRuntimeError('InvalidArgument', `expected a memory limit of 1..${MAX_PAGES} pages, got ${limitPages}`);
  }
  const outline = readOutline(bytes);
  check(outline);
  const mem = outline.memories[0]!;
  const maxPages = Math.min(mem.max ?? MAX_PAGES, limitPages);
  if (mem.min > maxPages) {
    throw new NodeRuntimeError('MemoryLimitBelowInitial', `expected the function's memory limit (${limitPages} pages) to cover the module's initial memory, got ${mem.min} initial pages; raise the function's memory limit to at least ${mem.min} pages`);
  }

  const exports = [...outline.exports];
  const exported = (kind: number, index: number) => exports.find((e) => e.kind === kind && e.index === index);
  const names = new Set(exports.map((e) => e.name));
  const fresh = (name: string) => {
    if (names.has(name)) throw unsupported(`expected no export named ${name} (reserved by Flotilla), got one`);
    names.add(name);
    return name;
  };

  const memIndex = outline.importedCounts.memory; // == 0, checked above
  let memoryExport = exported(EXTERNAL_KIND.memory, memIndex)?.name;
  if (memoryExport === undefined) {
    memoryExport = fresh(MEMORY_EXPORT);
    exports.push({ name: memoryExport, kind: EXTERNAL_KIND.memory, index: memIndex });
  }
  const mutableGlobalExports: string[] = [];
  const interruptible = outline.imports.some(isInterruptImport);
  outline.globals.forEach((g, i) => {
    // The deadline checks' countdown (interrupt.ts, always the last global) needs no reset, and an
    // exported mutable global is reached through a cell V8 cannot keep in the instance: slower checks.
    if (!g.mutable || (interruptible && i === outline.globals.length - 1)) return;
    const index = outline.importedCounts.global + i;
    let name = exported(EXTERNAL_KIND.global, index)?.name;
    if (name === undefined) {
      name = fresh(`${GLOBAL_EXPORT_PREFIX}${index}`);
      exports.push({ name, kind: EXTERNAL_KIND.global, index });
    }
    mutableGlobalExports.push(name);
  });

  const exportPayload = [...u32leb(exports.length)];
  for (const e of exports) exportPayload.push(...encodeName(e.name), e.kind, ...u32leb(e.index));
  const memoryPayload = [...u32leb(1), ...encodeLimits(mem.min, maxPages)];

  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  const sections = outline.sections;
  const exportAt = sections.some((s) => s.id === SECTION.export) ? -1 : insertionIndex(sections, SECTION.export);
  sections.forEach((s, i) => {
    if (i === exportAt) parts.push(encodeSection(SECTION.export, exportPayload));
    if (s.id === SECTION.export) parts.push(encodeSection(SECTION.export, exportPayload));
    else if (s.id === SECTION.memory) parts.push(encodeSection(SECTION.memory, memoryPayload));
    else parts.push(bytes.subarray(s.start, s.end));
  });
  if (exportAt === sections.length) parts.push(encodeSection(SECTION.export, exportPayload));

  const out = Buffer.concat(parts);
  const scan = scanCode(bytes, sections);
  return {
    bytes: out,
    layout: {
      memoryExport,
      initialPages: mem.min,
      maxPages,
      mutableGlobalExports,
      resettable: scan.resettable,
      ...(scan.reason !== undefined ? { notResettableReason: scan.reason } : {}),
      imports: outline.imports.filter((imp) => !isInterruptImport(imp)),
      interruptible,
      functionExports: exports.filter((e) => e.kind === EXTERNAL_KIND.func).map((e) => e.name),
    },
  };
}
