import { describe, expect, it } from 'vitest';
import { checkKey, checkPrefix, checkValue, decodeKey, encodeKey, listBytes, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './abi.ts';
import { open, seal } from './envelope.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('flotilla:kv keys and values', () => {
  it.each([
    ['an empty key', new Uint8Array(0)],
    ['a key over the limit', new Uint8Array(MAX_KEY_BYTES + 1).fill(0x61)],
    ['a key with a newline', bytes('a\nb')],
    ['a key that is not UTF-8', new Uint8Array([0xff, 0xfe])],
  ])('refuses %s as InvalidKey', (_name, key) => {
    expect(() => checkKey(key)).toThrow(expect.objectContaining({ code: 'InvalidKey' }));
  });

  it('accepts UTF-8 keys up to the limit, and an empty prefix', () => {
    expect(checkKey(bytes('café/1'))).toBe('café/1');
    expect(checkKey(new Uint8Array(MAX_KEY_BYTES).fill(0x61))).toHaveLength(MAX_KEY_BYTES);
    expect(checkPrefix(new Uint8Array(0))).toBe('');
  });

  it('refuses a value over the limit', () => {
    expect(() => checkValue(new Uint8Array(MAX_VALUE_BYTES + 1))).toThrow(expect.objectContaining({ code: 'ValueTooLarge' }));
    expect(() => checkValue(new Uint8Array(MAX_VALUE_BYTES))).not.toThrow();
  });

  it('encodes keys so that prefixes stay prefixes', () => {
    expect(encodeKey('visits/a').startsWith(encodeKey('visits/'))).toBe(true);
    expect(decodeKey(encodeKey('café'))).toBe('café');
  });

  it('lists sorted keys one per line, and refuses a listing over the limit', () => {
    expect(new TextDecoder().decode(listBytes(['b', 'a']))).toBe('a\nb\n');
    expect(listBytes([])).toHaveLength(0);
    expect(() => listBytes(Array.from({ length: 1000 }, (_, i) => `${'k'.repeat(100)}${i}`))).toThrow(expect.objectContaining({ code: 'TooManyKeys' }));
  });

  it('keeps a value until its TTL and drops it after', () => {
    const record = seal(bytes('v'), 10, 1_000);
    expect(open(record, 10_999)).toEqual(bytes('v'));
    expect(open(record, 11_000)).toBeUndefined();
    expect(open(seal(bytes('v'), 0, 1_000), Number.MAX_SAFE_INTEGER)).toEqual(bytes('v'));
  });
});
