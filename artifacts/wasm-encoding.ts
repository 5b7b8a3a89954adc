/**
 * The primitive values of the WebAssembly binary format (core spec 5.2, "Values"): LEB128
 * integers and names, read with every bound the spec sets and written back. The one reader of
 * both users: the component world reader here (componentInfo) and the module reader of the
 * node's compile stage (node-runtime/compile/wasm-binary.ts), each with its own error.
 */

/** Makes the caller's error for malformed input; `what` reads "a truncated byte stream at offset 12". */
export type InvalidInput = (what: string) => Error;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A cursor over a Wasm binary; every read is bounds-checked, so a truncated or hostile file fails cleanly. */
export class WasmReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly #invalid: InvalidInput;

  constructor(bytes: Uint8Array, pos: number, invalid: InvalidInput) {
    this.bytes = bytes;
    this.pos = pos;
    this.#invalid = invalid;
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  byte(): number {
    const b = this.bytes[this.pos];
    if (b === undefined) throw this.#invalid(`a truncated byte stream at offset ${this.pos}`);
    this.pos++;
    return b;
  }

  /** An unsigned 32-bit LEB128 (indices, counts, sizes). */
  u32(): number {
    // Most values fit one byte, and the code scan reads millions of them.
    const b = this.bytes[this.pos];
    if (b !== undefined && b < 0x80) {
      this.pos++;
      return b;
    }
    return this.#int(32, false);
  }

  /** A signed 32-bit LEB128 (i32.const). */
  s32(): number {
    return this.#signed(32);
  }

  /** A signed 33-bit LEB128 (block types and heap types: a type index or a negative type code). */
  s33(): number {
    return this.#signed(33);
  }

  /** A signed 64-bit LEB128 (i64.const), as a bigint: a double holds only 53 bits. */
  s64(): bigint {
    const start = this.pos;
    const approx = this.#int(64, true);
    const n = this.pos - start;
    // Up to 7 bytes (49 bits) the double is exact, which covers nearly every immediate in real code.
    if (n <= 7) return BigInt(approx);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 7n) | BigInt((this.bytes[start + i] as number) & 0x7f);
    // The bits past 64 were checked to repeat the sign, so sign-extending from the top bit read is exact.
    return BigInt.asIntN(7 * n, v);
  }

  skip(n: number): void {
    if (this.pos + n > this.bytes.length) throw this.#invalid(`a truncated byte stream at offset ${this.pos}`);
    this.pos += n;
  }

  /** A name: u32 length, then that many bytes of valid UTF-8. */
  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    try {
      return UTF8.decode(this.bytes.subarray(start, start + len));
    } catch {
      throw this.#invalid(`a name that is not UTF-8 at offset ${start}`);
    }
  }

  #signed(bits: number): number {
    const b = this.bytes[this.pos];
    if (b !== undefined && b < 0x80) {
      this.pos++;
      return (b & 0x40) !== 0 ? b - 0x80 : b;
    }
    return this.#int(bits, true);
  }

  /**
   * The LEB128 at the cursor, checked as the spec requires of an N-bit integer: at most ceil(N/7)
   * bytes, and in a last byte of that length the bits past N are zero (unsigned) or copies of the
   * sign bit (signed). Shorter forms padded with 0x80 (0x80 0x00 for 0) are valid and accepted.
   * Exact up to 7 bytes; s64 redoes longer ones in bigint.
   */
  #int(bits: number, signed: boolean): number {
    const max = Math.ceil(bits / 7);
    let v = 0;
    let scale = 1;
    for (let i = 0; i < max; i++, scale *= 128) {
      const b = this.bytes[this.pos + i];
      if (b === undefined) throw this.#invalid(`a truncated byte stream at offset ${this.pos + i}`);
      v += (b & 0x7f) * scale;
      if ((b & 0x80) !== 0) continue;
      if (i === max - 1) {
        const used = bits - 7 * i;
        // Past the value's bits; for a signed value the sign bit joins them, as they must all agree.
        const unused = 0x7f & ~((1 << (signed ? used - 1 : used)) - 1);
        const high = b & unused;
        if (high !== 0 && !(signed && high === unused)) throw this.#invalid(`${signed ? 'a signed' : 'an unsigned'} LEB128 wider than ${bits} bits at offset ${this.pos + i}`);
      }
      this.pos += i + 1;
      // The sign is the top payload bit of the last byte: a negative value is v - 2^(7(i+1)).
      return signed && (b & 0x40) !== 0 ? v - scale * 128 : v;
    }
    throw this.#invalid(`${signed ? 'a signed' : 'an unsigned'} LEB128 longer than ${max} bytes at offset ${this.pos + max}`);
  }
}

/** Encodes an unsigned LEB128 (shortest form). */
export function u32leb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Encodes a signed LEB128 (shortest form), e.g. for i32.const / i64.const immediates. */
export function sleb(n: number | bigint): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
