/**
 * The `flotilla:kv` host import module: names, status codes and limits (docs/events.md, "State").
 * Shared by the host side (kv-host.ts), the stores and the guest bindings' documentation. Pure.
 */
import { FlotillaError } from '../../api/errors.ts';

/** Import module name a guest declares (`(import "flotilla:kv" "get" ...)`). */
export const KV_MODULE = 'flotilla:kv';

/** The functions the module provides, each returning a KV_STATUS code (docs/events.md has their signatures). */
export const KV_FUNCTIONS = ['get', 'set', 'delete', 'list'] as const;

/** Largest key, in UTF-8 bytes (hex-encoded it still fits one file name and one NATS KV token). */
export const MAX_KEY_BYTES = 120;
/** Largest value, in bytes. */
export const MAX_VALUE_BYTES = 65_536;
/** Largest `list` answer (keys each followed by "\n"); a wider listing asks for a narrower prefix. */
export const MAX_LIST_BYTES = 65_536;

/** Every way a kv call fails, one code per cause; the guest sees the number in KV_STATUS. */
export type KvCode = 'NotFound' | 'BufferTooSmall' | 'InvalidKey' | 'ValueTooLarge' | 'InvalidArgument' | 'Unavailable' | 'Fault' | 'TooManyKeys';

/** The i32 each import returns: 0 is success. Stable: guests compile these numbers in. */
export const KV_STATUS: Readonly<Record<'Ok' | KvCode, number>> = {
  Ok: 0,
  NotFound: 1,
  BufferTooSmall: 2,
  InvalidKey: 3,
  ValueTooLarge: 4,
  InvalidArgument: 5,
  Unavailable: 6,
  Fault: 7,
  TooManyKeys: 8,
};

export class KvError extends FlotillaError<KvCode> {}

const encoder = new TextEncoder();

/**
 * Checks a key: 1..MAX_KEY_BYTES bytes of valid UTF-8 without control characters (so `list` can
 * separate keys with "\n"). Returns the key as a string.
 */
export function checkKey(bytes: Uint8Array, what = 'key'): string {
  if (bytes.length === 0 || bytes.length > MAX_KEY_BYTES) {
    throw new KvError('InvalidKey', `expected a ${what} of 1 to ${MAX_KEY_BYTES} bytes, got ${bytes.length}`);
  }
  return checkText(bytes, what);
}

/** Checks a list prefix: like a key, but may be empty (list everything). */
export function checkPrefix(bytes: Uint8Array): string {
  if (bytes.length > MAX_KEY_BYTES) throw new KvError('InvalidKey', `expected a prefix of at most ${MAX_KEY_BYTES} bytes, got ${bytes.length}`);
  return bytes.length === 0 ? '' : checkText(bytes, 'prefix');
}

function checkText(bytes: Uint8Array, what: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new KvError('InvalidKey', `expected the ${what} to be UTF-8, got invalid bytes`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new KvError('InvalidKey', `expected a ${what} without control characters, got ${JSON.stringify(text)}`);
  return text;
}

export function checkValue(value: Uint8Array): void {
  if (value.length > MAX_VALUE_BYTES) throw new KvError('ValueTooLarge', `expected a value of at most ${MAX_VALUE_BYTES} bytes, got ${value.length}`);
}

/** Keys are stored hex-encoded: safe as a file name and a NATS subject token, and prefix-preserving. */
export function encodeKey(key: string): string {
  return Buffer.from(encoder.encode(key)).toString('hex');
}

export function decodeKey(hex: string): string {
  return Buffer.from(hex, 'hex').toString('utf8');
}

/** The `list` answer: sorted keys, each followed by "\n", at most MAX_LIST_BYTES. */
export function listBytes(keys: readonly string[]): Uint8Array {
  const out = encoder.encode(keys.length ? [...keys].sort().join('\n') + '\n' : '');
  if (out.length > MAX_LIST_BYTES) throw new KvError('TooManyKeys', `expected at most ${MAX_LIST_BYTES} bytes of keys, got ${out.length}; list a narrower prefix`);
  return out;
}
