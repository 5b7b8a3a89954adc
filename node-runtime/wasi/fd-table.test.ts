import { openSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRNO } from './abi.ts';
import { FdTable } from './fd-table.ts';
import type { FileHandle } from './preopen-fs.ts';

const preopen = { guestPath: '/p', hostPath: '/', readOnly: true };
const hostFds = () => readdirSync('/proc/self/fd').length;

/** A real host file behind a guest descriptor, so closing is observable. */
function file(): FileHandle {
  return { kind: 'file', hostFd: openSync('/dev/null', 'r'), preopen, readRight: true, writeRight: false, openedAppend: false, position: 0n, append: false, nonblock: false };
}

function table(): FdTable {
  const t = new FdTable();
  t.reset([]);
  return t;
}

describe('FdTable numbers as wasmtime does', () => {
  it('hands out one past the highest, then reuses the highest freed number', () => {
    const t = table();
    const [a, b, c] = [t.push(file()), t.push(file()), t.push(file())];
    expect([a, b, c]).toEqual([3, 4, 5]);
    t.close(3);
    t.close(4);
    expect(t.push(file())).toBe(4);
    expect(t.push(file())).toBe(3);
    expect(t.push(file())).toBe(6);
    t.clear();
  });

  it.each([
    ['from closed', 9, 1, ERRNO.BADF],
    ['onto closed', 1, 9, ERRNO.BADF],
  ])('renumber %s answers BADF', (_label, from, to, errno) => {
    expect(() => table().renumber(from, to)).toThrow(expect.objectContaining({ errno }));
  });

  it('closes the host fd of what renumber, close and clear drop', () => {
    const before = hostFds();
    const t = table();
    const a = t.push(file());
    const b = t.push(file());
    t.renumber(a, b);
    expect(hostFds()).toBe(before + 1);
    expect(t.get(a)).toBeUndefined();
    expect(t.push(file())).toBe(a);
    t.close(a);
    t.push(file());
    t.clear();
    expect(hostFds()).toBe(before);
  });

  it('refuses with MFILE when full and closes what it could not take', () => {
    const t = table();
    const before = hostFds();
    while (t.size < 1024) t.push({ kind: 'stdout' });
    expect(() => t.push(file())).toThrow(expect.objectContaining({ errno: ERRNO.MFILE }));
    expect(hostFds()).toBe(before);
  });
});
