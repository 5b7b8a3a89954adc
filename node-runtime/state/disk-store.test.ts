import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskBinding, bucketName } from './binding.ts';
import { DiskKvStore } from './disk-store.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

describe('DiskKvStore', () => {
  it('gets, sets, lists by prefix and deletes', () => {
    const s = new DiskKvStore(join(mkdtempSync(join(tmpdir(), 'kv-')), 'ns', 'fn'));
    expect(s.get('a')).toBeUndefined();
    expect(s.list('')).toEqual([]);
    s.set('visits/a', bytes('1'), 0);
    s.set('visits/b', bytes('2'), 0);
    s.set('other', bytes('3'), 0);
    expect(text(s.get('visits/b'))).toBe('2');
    expect(s.list('visits/').sort()).toEqual(['visits/a', 'visits/b']);
    s.delete('visits/a');
    s.delete('never-there');
    expect(s.list('visits/')).toEqual(['visits/b']);
  });

  it('drops expired keys on read and from listings', () => {
    let now = 1_000_000;
    const dir = mkdtempSync(join(tmpdir(), 'kv-'));
    const s = new DiskKvStore(dir, () => now);
    s.set('short', bytes('x'), 5);
    expect(s.list('')).toEqual(['short']);
    now += 5_000;
    expect(s.get('short')).toBeUndefined();
    expect(s.list('')).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('ignores a temp file a crash left behind and keeps the last complete value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-'));
    const s = new DiskKvStore(dir);
    s.set('k', bytes('complete'), 0);
    writeFileSync(join(dir, '.tmp-deadbeef'), 'torn wri');
    expect(text(new DiskKvStore(dir).get('k'))).toBe('complete');
    expect(new DiskKvStore(dir).list('')).toEqual(['k']);
  });
});

describe('bindings', () => {
  it('give each function its own directory and bucket', () => {
    expect(diskBinding('/var/kv', 'shop/orders')).toEqual({ store: 'disk', dir: '/var/kv/shop/orders' });
    expect(bucketName('shop/orders.v2')).toBe('flotilla_kv_shop_orders_v2');
  });

  it.each(['shop', 'shop/../etc', 'Shop/x', 'a/b/c', '/x'])('refuse the function key %s', (key) => {
    expect(() => diskBinding('/var/kv', key)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});
