/**
 * Deadline checks compiled into a module, as wasmtime's epoch interruption: a check at every loop
 * header and at the entry of every function that calls another (recursion; a leaf without loops
 * ends in bounded time), so a guest that runs past its deadline traps with `Timeout` and the
 * worker thread that ran it lives on (no terminate(), no respawn, no relink).
 *
 * A check costs a countdown, not a call: a new mutable i32 global counts down at each check, and
 * when it reaches zero the module calls the host's `__flotilla.interrupt`, which throws if the
 * invocation's deadline flag (a SharedArrayBuffer the watchdog sets, engine/deadline.ts) is up and
 * otherwise returns the next budget of checks. The import is appended after the module's own
 * function imports, so every index of a defined function moves up by one: calls, ref.func, exports,
 * the start function and element segments are renumbered. The `name` section (function indices,
 * for debuggers) is dropped. Code the decoder does not know (code-scan.ts) leaves the module as it
 * was: such a module is stopped the old way, its worker terminated.
 */
import { instruction } from './code-scan.ts';
import { u32leb } from '../../artifacts/wasm-encoding.ts';
import { encodeName, encodeSection, EXTERNAL_KIND, insertionIndex, readOutline, Reader, SECTION, type ModuleOutline, type Section } from './wasm-binary.ts';

/** The host function a check calls when its countdown runs out: () -> i32, the next budget. */
export const INTERRUPT_IMPORT = { module: '__flotilla', name: 'interrupt' } as const;

const OP = { loop: 0x03, end: 0x0b, if: 0x04, call: 0x10, returnCall: 0x12, refFunc: 0xd2, globalGet: 0x23, globalSet: 0x24, i32Const: 0x41, i32Eqz: 0x45, i32Sub: 0x6b } as const;

/** call_indirect, return_call_indirect, call_ref, return_call_ref: calls whose callee is not an immediate. */
const CALL_INDIRECT = new Set([0x11, 0x13, 0x14, 0x15]);

/** Thrown inside the instrumentation when the module uses what it cannot rewrite; the module is then left as it was. */
class NotInstrumentable extends Error {}

/** Growing output bytes. */
class Out {
  readonly bytes: number[] = [];
  push(...b: readonly number[]): void {
    for (const x of b) this.bytes.push(x);
  }
  copy(from: Uint8Array, start: number, end: number): void {
    for (let i = start; i < end; i++) this.bytes.push(from[i]!);
  }
}

/** True when `imp` is the interrupt import. */
export function isInterruptImport(imp: { readonly module: string; readonly name: string }): boolean {
  return imp.module === INTERRUPT_IMPORT.module && imp.name === INTERRUPT_IMPORT.name;
}

/**
 * `bytes` with deadline checks (see the file comment); `instrumented` false when the module was
 * left as it was (code the decoder does not know, or a module importing the interrupt already).
 */
export function instrumentInterrupts(bytes: Uint8Array): { readonly bytes: Uint8Array; readonly instrumented: boolean } {
  const outline = readOutline(bytes);
  if (outline.imports.some(isInterruptImport)) return { bytes, instrumented: false };
  try {
    return { bytes: rewrite(bytes, outline), instrumented: true };
  } catch (err) {
    if (err instanceof NotInstrumentable) return { bytes, instrumented: false };
    throw err;
  }
}

function rewrite(bytes: Uint8Array, outline: ModuleOutline): Uint8Array {
  const { sections } = outline;
  const firstDefined = outline.importedCounts.func;
  const func = (index: number) => (index >= firstDefined ? index + 1 : index);
  const counter = outline.importedCounts.global + outline.globals.length;
  const payload = (s: Section) => new Reader(bytes.subarray(0, s.end), s.payloadStart);
  const find = (id: number) => sections.find((s) => s.id === id);

  const typeSection = find(SECTION.type);
  const types = typeSection ? payload(typeSection) : undefined;
  const typeCount = types ? types.u32() : 0;
  const newType = new Out();
  newType.push(...u32leb(typeCount + 1));
  if (typeSection && types) newType.copy(bytes, types.pos, typeSection.end);
  newType.push(0x60, 0x00, 0x01, 0x7f); // () -> i32
  const interruptType = typeCount;

  const importSection = find(SECTION.import);
  const imports = importSection ? payload(importSection) : undefined;
  const importCount = imports ? imports.u32() : 0;
  const newImports = new Out();
  newImports.push(...u32leb(importCount + 1));
  if (importSection && imports) newImports.copy(bytes, imports.pos, importSection.end);
  newImports.push(...encodeName(INTERRUPT_IMPORT.module), ...encodeName(INTERRUPT_IMPORT.name), EXTERNAL_KIND.func, ...u32leb(interruptType));
  const interrupt = firstDefined; // the new import: after the module's function imports

  const check = [
    OP.globalGet, ...u32leb(counter), OP.i32Eqz, OP.if, 0x40, OP.call, ...u32leb(interrupt), OP.globalSet, ...u32leb(counter), OP.end,
    OP.globalGet, ...u32leb(counter), OP.i32Const, 1, OP.i32Sub, OP.globalSet, ...u32leb(counter),
  ];

  const replaced = new Map<number, Out>();
  replaced.set(SECTION.type, newType);
  replaced.set(SECTION.import, newImports);
  replaced.set(SECTION.global, globalsWithCounter(bytes, find(SECTION.global), func));
  const exp = find(SECTION.export);
  if (exp) replaced.set(SECTION.export, exportsRenumbered(payload(exp), func));
  const start = find(SECTION.start);
  if (start) {
    const o = new Out();
    o.push(...u32leb(func(payload(start).u32())));
    replaced.set(SECTION.start, o);
  }
  const elem = find(SECTION.element);
  if (elem) replaced.set(SECTION.element, elementsRenumbered(bytes, payload(elem), elem.end, func));
  const code = find(SECTION.code);
  if (code) replaced.set(SECTION.code, codeWithChecks(bytes, payload(code), func, check));

  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  const emitted = new Set<number>();
  const emit = (id: number) => {
    const o = replaced.get(id);
    if (o && !emitted.has(id)) {
      parts.push(encodeSection(id, o.bytes));
      emitted.add(id);
    }
  };
  // Sections the module lacks (type, import, global) go where the spec orders them.
  const missing = [SECTION.type, SECTION.import, SECTION.global].filter((id) => !find(id));
  sections.forEach((s, i) => {
    for (const id of missing) if (insertionIndex(sections, id) === i) emit(id);
    if (s.id === SECTION.custom) {
      if (payload(s).name() !== 'name') parts.push(bytes.subarray(s.start, s.end));
    } else if (replaced.has(s.id)) emit(s.id);
    else parts.push(bytes.subarray(s.start, s.end));
  });
  for (const id of missing) emit(id);
  return Buffer.concat(parts);
}

/** Copies a constant expression up to and including its `end`, renumbering ref.func. */
function constExpr(r: Reader, out: Out, func: (i: number) => number): void {
  for (;;) {
    const at = r.pos;
    const op = r.byte();
    if (op === OP.end) {
      out.push(OP.end);
      return;
    }
    if (op === OP.refFunc) {
      out.push(OP.refFunc, ...u32leb(func(r.u32())));
      continue;
    }
    if (instruction(r, op) === 'unknown') throw new NotInstrumentable(`opcode 0x${op.toString(16)} in a constant expression`);
    out.copy(r.bytes, at, r.pos);
  }
}

function globalsWithCounter(bytes: Uint8Array, section: Section | undefined, func: (i: number) => number): Out {
  const out = new Out();
  const r = section ? new Reader(bytes.subarray(0, section.end), section.payloadStart) : undefined;
  const n = r ? r.u32() : 0;
  out.push(...u32leb(n + 1));
  for (let i = 0; r && i < n; i++) {
    const at = r.pos;
    r.valueType();
    r.byte();
    out.copy(bytes, at, r.pos);
    constExpr(r, out, func);
  }
  // The countdown starts at zero: the first check asks the host at once, then counts its budget.
  out.push(0x7f, 0x01, OP.i32Const, 0x00, OP.end);
  return out;
}

function exportsRenumbered(r: Reader, func: (i: number) => number): Out {
  const out = new Out();
  const n = r.u32();
  out.push(...u32leb(n));
  for (let i = 0; i < n; i++) {
    const name = r.name();
    const kind = r.byte();
    const index = r.u32();
    out.push(...encodeName(name), kind, ...u32leb(kind === EXTERNAL_KIND.func ? func(index) : index));
  }
  return out;
}

function elementsRenumbered(bytes: Uint8Array, r: Reader, end: number, func: (i: number) => number): Out {
  const out = new Out();
  const n = r.u32();
  out.push(...u32leb(n));
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    out.push(...u32leb(flags));
    if (flags > 7) throw new NotInstrumentable(`element segment flags ${flags}`);
    const explicitTable = (flags & 2) !== 0 && (flags & 1) === 0;
    const active = (flags & 1) === 0;
    const expressions = (flags & 4) !== 0;
    if (explicitTable) out.push(...u32leb(r.u32()));
    if (active) constExpr(r, out, func);
    // elemkind (0x00) or a reference type, except in the flag forms 0 and 4 that imply funcref.
    if (flags !== 0 && flags !== 4) {
      const at = r.pos;
      r.valueType();
      out.copy(bytes, at, r.pos);
    }
    const count = r.u32();
    out.push(...u32leb(count));
    for (let k = 0; k < count; k++) {
      if (expressions) constExpr(r, out, func);
      else out.push(...u32leb(func(r.u32())));
    }
  }
  if (r.pos !== end) throw new NotInstrumentable('trailing bytes in the element section');
  return out;
}

function codeWithChecks(bytes: Uint8Array, r: Reader, func: (i: number) => number, check: readonly number[]): Out {
  const out = new Out();
  const n = r.u32();
  out.push(...u32leb(n));
  for (let f = 0; f < n; f++) {
    const size = r.u32();
    const end = r.pos + size;
    const body = new Out();
    const localsAt = r.pos;
    const groups = r.u32();
    for (let g = 0; g < groups; g++) {
      r.u32();
      r.valueType();
    }
    body.copy(bytes, localsAt, r.pos);
    const code = new Out();
    let calls = false;
    while (r.pos < end) {
      const at = r.pos;
      const op = r.byte();
      if (op === OP.call || op === OP.returnCall || op === OP.refFunc) {
        code.push(op, ...u32leb(func(r.u32())));
        calls ||= op !== OP.refFunc;
        continue;
      }
      if (instruction(r, op) === 'unknown') throw new NotInstrumentable(`opcode 0x${op.toString(16)} in function ${f}`);
      code.copy(bytes, at, r.pos);
      calls ||= CALL_INDIRECT.has(op);
      if (op === OP.loop) code.push(...check);
    }
    if (r.pos !== end) throw new NotInstrumentable(`function ${f} body does not end at its declared size`);
    // A function that calls nothing ends in bounded time but for its loops, which have their own
    // checks: only callers (recursion) need one at entry. Small hot leaves stay free of checks.
    if (calls) body.push(...check);
    for (const b of code.bytes) body.bytes.push(b);
    out.push(...u32leb(body.bytes.length));
    for (const b of body.bytes) out.bytes.push(b);
  }
  return out;
}
