import { describe, expect, it } from 'vitest';
import { sleb, u32leb, WasmReader } from './wasm-encoding.ts';

const reader = (bytes: readonly number[]) => new WasmReader(new Uint8Array(bytes), 0, (what) => new Error(what));
const ff = (n: number) => Array<number>(n).fill(0xff);
const x80 = (n: number) => Array<number>(n).fill(0x80);

type Read = 'u32' | 's32' | 's33' | 's64';

describe('LEB128', () => {
  it.each<{ name: string; read: Read; bytes: number[]; value: number | bigint }>([
    { name: 'zero', read: 'u32', bytes: [0x00], value: 0 },
    { name: 'one byte max', read: 'u32', bytes: [0x7f], value: 127 },
    { name: 'two bytes', read: 'u32', bytes: [0x80, 0x01], value: 128 },
    { name: 'padded zero (allowed within 5 bytes)', read: 'u32', bytes: [0x80, 0x80, 0x80, 0x80, 0x00], value: 0 },
    { name: 'max u32', read: 'u32', bytes: [...ff(4), 0x0f], value: 2 ** 32 - 1 },
    { name: 'bit 31', read: 'u32', bytes: [...x80(4), 0x08], value: 2 ** 31 },
    { name: '-1', read: 's32', bytes: [0x7f], value: -1 },
    { name: '63', read: 's32', bytes: [0x3f], value: 63 },
    { name: '-64', read: 's32', bytes: [0x40], value: -64 },
    { name: '64 needs a second byte', read: 's32', bytes: [0xc0, 0x00], value: 64 },
    { name: 'max s32', read: 's32', bytes: [...ff(4), 0x07], value: 2 ** 31 - 1 },
    { name: 'min s32', read: 's32', bytes: [...x80(4), 0x78], value: -(2 ** 31) },
    { name: 'padded -1', read: 's32', bytes: [...ff(4), 0x7f], value: -1 },
    { name: 'max s33 (a type index)', read: 's33', bytes: [...ff(4), 0x0f], value: 2 ** 32 - 1 },
    { name: 'min s33', read: 's33', bytes: [...x80(4), 0x70], value: -(2 ** 32) },
    { name: 'a heap type code', read: 's33', bytes: [0x70], value: -16 },
    { name: '-1 as s64', read: 's64', bytes: [0x7f], value: -1n },
    { name: '7 bytes, lowest', read: 's64', bytes: [...x80(6), 0x40], value: -(2n ** 48n) },
    { name: '8 bytes', read: 's64', bytes: [...x80(7), 0x01], value: 2n ** 49n },
    { name: 'max s64', read: 's64', bytes: [...ff(9), 0x00], value: 2n ** 63n - 1n },
    { name: 'min s64', read: 's64', bytes: [...x80(9), 0x7f], value: -(2n ** 63n) },
  ])('$read reads $name', ({ read, bytes, value }) => {
    const r = reader(bytes);
    expect(r[read]()).toBe(value);
    expect(r.pos).toBe(bytes.length);
  });

  it.each<{ name: string; read: Read; bytes: number[]; error: RegExp }>([
    { name: 'empty input', read: 'u32', bytes: [], error: /truncated byte stream at offset 0/ },
    { name: 'a continuation at the end', read: 'u32', bytes: [0x80, 0x80], error: /truncated byte stream at offset 2/ },
    { name: 'max u32 + 1 (bit 32 set)', read: 'u32', bytes: [...ff(4), 0x1f], error: /unsigned LEB128 wider than 32 bits at offset 4/ },
    { name: 'a high bit in the 5th byte', read: 'u32', bytes: [...x80(4), 0x40], error: /wider than 32 bits/ },
    { name: 'overlong: 6 bytes for a u32', read: 'u32', bytes: [...x80(5), 0x00], error: /unsigned LEB128 longer than 5 bytes at offset 5/ },
    { name: 'max s32 + 1 (sign bit without extension)', read: 's32', bytes: [...ff(4), 0x0f], error: /signed LEB128 wider than 32 bits/ },
    { name: 'min s32 - 1 (extension without sign bit)', read: 's32', bytes: [...x80(4), 0x70], error: /signed LEB128 wider than 32 bits/ },
    { name: 'overlong: 6 bytes for an s32', read: 's32', bytes: [...ff(5), 0x7f], error: /signed LEB128 longer than 5 bytes/ },
    { name: 'a value past 33 bits', read: 's33', bytes: [...ff(4), 0x1f], error: /signed LEB128 wider than 33 bits/ },
    { name: 'max s64 + 1', read: 's64', bytes: [...ff(9), 0x01], error: /signed LEB128 wider than 64 bits at offset 9/ },
    { name: 'inconsistent sign bits in the 10th byte', read: 's64', bytes: [...x80(9), 0x7e], error: /wider than 64 bits/ },
    { name: 'overlong: 11 bytes for an s64', read: 's64', bytes: [...x80(10), 0x00], error: /signed LEB128 longer than 10 bytes at offset 10/ },
    { name: 'a truncated s64', read: 's64', bytes: ff(9), error: /truncated byte stream at offset 9/ },
  ])('$read refuses $name', ({ read, bytes, error }) => {
    expect(() => reader(bytes)[read]()).toThrow(error);
  });

  it('reads back what it writes, at every length boundary', () => {
    for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1]) {
      expect(reader(u32leb(n)).u32()).toBe(n);
      expect(u32leb(n)).toHaveLength(n < 2 ** 7 ? 1 : n < 2 ** 14 ? 2 : n < 2 ** 21 ? 3 : n < 2 ** 28 ? 4 : 5);
    }
    for (const n of [0, -1, 63, 64, -64, -65, 2 ** 31 - 1, -(2 ** 31)]) expect(reader(sleb(n)).s32()).toBe(n);
    for (const n of [0n, -1n, 2n ** 48n - 1n, -(2n ** 48n), 2n ** 48n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)]) expect(reader(sleb(n)).s64()).toBe(n);
  });
});

describe('names', () => {
  it.each([
    { name: 'UTF-8', bytes: [3, 0x61, 0xc3, 0xa9], value: 'aé' },
    { name: 'empty', bytes: [0], value: '' },
  ])('reads $name', ({ bytes, value }) => {
    expect(reader(bytes).name()).toBe(value);
  });

  it.each([
    { name: 'a name past the end', bytes: [4, 0x61], error: /truncated byte stream at offset 1/ },
    { name: 'invalid UTF-8', bytes: [1, 0xff], error: /not UTF-8 at offset 1/ },
  ])('refuses $name', ({ bytes, error }) => {
    expect(() => reader(bytes).name()).toThrow(error);
  });
});
