/**
 * Decides whether every piece of state a module can change at run time is state we can reset from
 * JS (linear memory and globals). Tables, passive segments and GC objects cannot be reset cheaply,
 * so a module whose code can touch them gets a fresh instance per invocation instead of a reset one.
 *
 * The scan decodes every instruction of every function body (immediates included, so a byte inside
 * an immediate is never mistaken for an opcode). An opcode it does not know makes the answer
 * "not resettable": the conservative side of the decision.
 */
import { Reader, SECTION, type Section } from './wasm-binary.ts';

export interface ScanResult {
  /** True when only memory and globals can change: a snapshot reset restores a pristine instance. */
  readonly resettable: boolean;
  /** Why not, for logs and docs. */
  readonly reason?: string;
}

// Instructions that change instance state other than memory and globals.
const TABLE_SET = 0x26;
const FC_MUTATING = new Set([9 /* data.drop */, 12 /* table.init */, 13 /* elem.drop */, 14 /* table.copy */, 15 /* table.grow */, 17 /* table.fill */]);

function skipBlockType(r: Reader): void {
  const b = r.bytes[r.pos];
  if (b === 0x40 || b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) {
    r.pos++;
    return;
  }
  r.s33(); // a type index as s33
}

function memarg(r: Reader): void {
  const align = r.u32();
  if ((align & 0x40) !== 0) r.u32(); // multi-memory: explicit memory index
  r.u32();
}

/**
 * Decodes one instruction after its opcode byte (the reader ends past its immediates); returns what
 * it mutates that a reset cannot restore, or 'unknown'. The interrupt instrumentation walks code with it too.
 */
export function instruction(r: Reader, op: number): string | undefined {
  switch (op) {
    case 0x02: case 0x03: case 0x04: skipBlockType(r); return;
    case 0x0c: case 0x0d: case 0x10: case 0x12: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0xd2: r.u32(); return;
    case TABLE_SET: r.u32(); return 'table.set';
    case 0x0e: { const n = r.u32(); for (let i = 0; i <= n; i++) r.u32(); return; }
    case 0x11: case 0x13: r.u32(); r.u32(); return;
    case 0x1c: { const n = r.u32(); for (let i = 0; i < n; i++) r.valueType(); return; }
    case 0x3f: case 0x40: r.u32(); return;
    case 0x41: r.s32(); return;
    case 0x42: r.s64(); return;
    case 0x43: r.skip(4); return;
    case 0x44: r.skip(8); return;
    case 0xd0: r.s33(); return;
    case 0xfc: {
      const sub = r.u32();
      if (sub <= 7) return;
      if (sub > 17) return 'unknown';
      if (sub === 8 || sub === 10 || sub === 12 || sub === 14) { r.u32(); r.u32(); }
      else r.u32();
      return FC_MUTATING.has(sub) ? ['', '', '', '', '', '', '', '', '', 'data.drop', '', '', 'table.init', 'elem.drop', 'table.copy', 'table.grow', '', 'table.fill'][sub] : undefined;
    }
    case 0xfd: {
      const sub = r.u32();
      if (sub <= 11 || sub === 92 || sub === 93) memarg(r);
      else if (sub === 12 || sub === 13) r.skip(16);
      else if (sub >= 21 && sub <= 34) r.skip(1);
      else if (sub >= 84 && sub <= 91) { memarg(r); r.skip(1); }
      else if (sub > 275) return 'unknown';
      return;
    }
    case 0xfe: {
      const sub = r.u32();
      if (sub === 3) { r.skip(1); return; }
      if (sub > 0x4e) return 'unknown';
      memarg(r);
      return;
    }
    default:
      if (op >= 0x28 && op <= 0x3e) { memarg(r); return; }
      // Opcodes without immediates: control (unreachable, nop, else, end, return), drop, select,
      // comparisons, arithmetic, conversions, sign extension, ref.is_null.
      if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b) return;
      if (op >= 0x45 && op <= 0xc4) return;
      if (op === 0xd1) return;
      return 'unknown';
  }
}

/** Scans the code section of a module (see ScanResult). */
export function scanCode(bytes: Uint8Array, sections: readonly Section[]): ScanResult {
  const code = sections.find((s) => s.id === SECTION.code);
  if (!code) return { resettable: true };
  const r = new Reader(bytes.subarray(0, code.end), code.payloadStart);
  const count = r.u32();
  for (let f = 0; f < count; f++) {
    const size = r.u32();
    const end = r.pos + size;
    const groups = r.u32();
    for (let g = 0; g < groups; g++) {
      r.u32();
      r.valueType();
    }
    while (r.pos < end) {
      const op = r.byte();
      const found = instruction(r, op);
      if (found === 'unknown') return { resettable: false, reason: `function ${f} uses opcode 0x${op.toString(16)} the scan does not know` };
      if (found) return { resettable: false, reason: `function ${f} uses ${found}` };
    }
    if (r.pos !== end) return { resettable: false, reason: `function ${f} body does not end at its declared size` };
  }
  return { resettable: true };
}
