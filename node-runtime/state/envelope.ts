/**
 * How a value is stored, in every backend: an 8-byte little-endian expiry (ms since the epoch,
 * 0 = never) then the value. Expiry travels with the value so every backend (a file, a NATS KV
 * entry on a server without per-message TTL) applies the same TTL rule on read. Pure.
 */
const HEADER = 8;

export function seal(value: Uint8Array, ttlSeconds: number, nowMs: number): Uint8Array {
  const out = new Uint8Array(HEADER + value.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(ttlSeconds > 0 ? nowMs + ttlSeconds * 1000 : 0), true);
  out.set(value, HEADER);
  return out;
}

/** The value, or undefined when it expired (or the record is too short to be ours). */
export function open(record: Uint8Array, nowMs: number): Uint8Array | undefined {
  if (record.length < HEADER) return undefined;
  const expires = Number(new DataView(record.buffer, record.byteOffset, HEADER).getBigUint64(0, true));
  if (expires !== 0 && expires <= nowMs) return undefined;
  return record.subarray(HEADER);
}
