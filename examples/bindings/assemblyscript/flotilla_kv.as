// The AssemblyScript binding of the `flotilla:kv` host import module: the function's own
// key-value store. docs/events.md ("State") documents the ABI. Copy this file next to the
// function's entry as flotilla_kv.ts (the kv examples' build does that).

@external("flotilla:kv", "get")
declare function kvGet(key: usize, keyLen: u32, buf: usize, cap: u32, lenOut: usize): i32;
@external("flotilla:kv", "set")
declare function kvSet(key: usize, keyLen: u32, val: usize, valLen: u32, ttlSeconds: u32): i32;
@external("flotilla:kv", "delete")
declare function kvDelete(key: usize, keyLen: u32): i32;
@external("flotilla:kv", "list")
declare function kvList(prefix: usize, prefixLen: u32, buf: usize, cap: u32, lenOut: usize): i32;

export const KV_OK: i32 = 0;
export const KV_NOT_FOUND: i32 = 1;
const KV_BUFFER_TOO_SMALL: i32 = 2;

/** The last call's status (KV_OK, KV_NOT_FOUND, or another ABI code). */
export let kvStatus: i32 = KV_OK;

function read(key: ArrayBuffer, list: bool): ArrayBuffer | null {
  let buf = new ArrayBuffer(256);
  const lenOut = new ArrayBuffer(4);
  for (let round = 0; round < 2; round++) {
    kvStatus = list
      ? kvList(changetype<usize>(key), key.byteLength, changetype<usize>(buf), buf.byteLength, changetype<usize>(lenOut))
      : kvGet(changetype<usize>(key), key.byteLength, changetype<usize>(buf), buf.byteLength, changetype<usize>(lenOut));
    const n = load<u32>(changetype<usize>(lenOut));
    if (kvStatus == KV_BUFFER_TOO_SMALL) {
      buf = new ArrayBuffer(n);
      continue;
    }
    return kvStatus == KV_OK ? buf.slice(0, n) : null;
  }
  return null;
}

/** The value of key as a string, or null (see kvStatus). */
export function kvGetString(key: string): string | null {
  const v = read(String.UTF8.encode(key), false);
  return v == null ? null : String.UTF8.decode(v);
}

/** Stores value under key; ttlSeconds 0 keeps it until deleted. Returns the status. */
export function kvSetString(key: string, value: string, ttlSeconds: u32 = 0): i32 {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  kvStatus = kvSet(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, ttlSeconds);
  return kvStatus;
}

export function kvDeleteKey(key: string): i32 {
  const k = String.UTF8.encode(key);
  kvStatus = kvDelete(changetype<usize>(k), k.byteLength);
  return kvStatus;
}

/** Keys starting with prefix, sorted. */
export function kvListKeys(prefix: string): string[] {
  const v = read(String.UTF8.encode(prefix), true);
  if (v == null || v.byteLength == 0) return [];
  const text = String.UTF8.decode(v);
  return text.substring(0, text.length - 1).split("\n");
}
