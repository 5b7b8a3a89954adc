import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KV_MODULE, KV_STATUS } from './abi.ts';
import { kvCapability } from './capability.ts';
import { DiskKvStore } from './disk-store.ts';

const call = (imports: WebAssembly.Imports, name: string, ...args: number[]) => (imports[KV_MODULE]![name] as (...a: number[]) => number)(...args);

describe('the kv capability in a thread', () => {
  it('reaches the bound store through the memory of the instance it was bound to', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'kv-cap-')), 'ns', 'fn');
    const prepared = await kvCapability.init().prepare({ store: 'disk', dir }, []);
    const instance = prepared.instantiate();
    const memory = new WebAssembly.Memory({ initial: 1 });
    instance.bind!(memory);
    const bytes = new Uint8Array(memory.buffer);
    bytes.set(new TextEncoder().encode('visits'), 0);
    bytes.set(new TextEncoder().encode('42'), 16);
    expect(call(instance.imports, 'set', 0, 6, 16, 2, 0)).toBe(KV_STATUS.Ok);
    expect(new TextDecoder().decode(new DiskKvStore(dir).get('visits'))).toBe('42');
    // get into a 1-byte buffer: too small, and the length it needs is written at 64.
    expect(call(instance.imports, 'get', 0, 6, 32, 1, 64)).toBe(KV_STATUS.BufferTooSmall);
    expect(new DataView(memory.buffer).getUint32(64, true)).toBe(2);
    expect(call(instance.imports, 'get', 0, 6, 32, 8, 64)).toBe(KV_STATUS.Ok);
    expect(new TextDecoder().decode(bytes.subarray(32, 34))).toBe('42');
  });
});
