/**
 * The host side of `flotilla:kv` inside an invocation worker: four imports over the function's
 * own store (docs/events.md has the ABI). Pointers are offsets into the guest's exported memory;
 * every import returns a KV_STATUS code and never traps on a guest mistake (a bad pointer is Fault).
 */
import { checkKey, checkPrefix, checkValue, KV_MODULE, KV_STATUS, KvError, listBytes, type KV_FUNCTIONS } from './abi.ts';
import type { KvBinding } from './binding.ts';
import { BridgeKvStore } from './bridge.ts';
import { DiskKvStore } from './disk-store.ts';
import type { SyncKvStore } from './store.ts';

/** Opens the store a binding names (worker side). */
export function openSyncStore(binding: KvBinding): SyncKvStore {
  return binding.store === 'disk' ? new DiskKvStore(binding.dir) : new BridgeKvStore(binding.channel, binding.bucket);
}

class Fault extends Error {}

/**
 * The `flotilla:kv` import object for one instance. `memory` is read on every call because the
 * instance exists only after its imports do (and memory.grow replaces the buffer).
 */
export function kvImports(store: SyncKvStore, memory: () => WebAssembly.Memory): WebAssembly.Imports {
  const bytes = (ptr: number, len: number): Uint8Array => {
    const buffer = memory().buffer;
    if (ptr < 0 || len < 0 || ptr + len > buffer.byteLength) throw new Fault();
    return new Uint8Array(buffer, ptr, len);
  };
  const setU32 = (ptr: number, value: number): void => {
    bytes(ptr, 4);
    new DataView(memory().buffer).setUint32(ptr, value, true);
  };
  /** Copies `data` into the guest buffer, or reports the size it needs. */
  const answer = (data: Uint8Array, bufPtr: number, bufCap: number, lenOutPtr: number): number => {
    setU32(lenOutPtr, data.length);
    if (data.length > bufCap) return KV_STATUS.BufferTooSmall;
    bytes(bufPtr, data.length).set(data);
    return KV_STATUS.Ok;
  };
  const guard = (op: () => number): number => {
    try {
      return op();
    } catch (err) {
      if (err instanceof Fault) return KV_STATUS.Fault;
      if (err instanceof KvError) return KV_STATUS[err.code];
      throw err;
    }
  };
  // Guest pointers are i32; JS sees them signed, so reinterpret as unsigned.
  const u = (n: number): number => n >>> 0;
  return {
    [KV_MODULE]: {
      get: (keyPtr: number, keyLen: number, bufPtr: number, bufCap: number, lenOutPtr: number): number =>
        guard(() => {
          const value = store.get(checkKey(bytes(u(keyPtr), u(keyLen))));
          if (value === undefined) return KV_STATUS.NotFound;
          return answer(value, u(bufPtr), u(bufCap), u(lenOutPtr));
        }),
      set: (keyPtr: number, keyLen: number, valPtr: number, valLen: number, ttlSeconds: number): number =>
        guard(() => {
          const key = checkKey(bytes(u(keyPtr), u(keyLen)));
          const value = bytes(u(valPtr), u(valLen));
          checkValue(value);
          if (ttlSeconds < 0) throw new KvError('InvalidArgument', `expected ttl_seconds >= 0, got ${ttlSeconds}`);
          store.set(key, value.slice(), ttlSeconds);
          return KV_STATUS.Ok;
        }),
      delete: (keyPtr: number, keyLen: number): number =>
        guard(() => {
          store.delete(checkKey(bytes(u(keyPtr), u(keyLen))));
          return KV_STATUS.Ok;
        }),
      list: (prefixPtr: number, prefixLen: number, bufPtr: number, bufCap: number, lenOutPtr: number): number =>
        guard(() => answer(listBytes(store.list(checkPrefix(bytes(u(prefixPtr), u(prefixLen))))), u(bufPtr), u(bufCap), u(lenOutPtr))),
    } satisfies Record<(typeof KV_FUNCTIONS)[number], (...args: number[]) => number>,
  };
}
