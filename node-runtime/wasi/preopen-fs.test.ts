import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRNO } from './abi.ts';
import { openAt, openRoot, resolveInside, type OpenOptions } from './preopen-fs.ts';

const root = mkdtempSync(join(tmpdir(), 'flotilla-preopen-'));
const outside = mkdtempSync(join(tmpdir(), 'flotilla-outside-'));
mkdirSync(join(root, 'sub'));
writeFileSync(join(root, 'sub', 'f.txt'), 'inside');
writeFileSync(join(outside, 'secret'), 'secret');
symlinkSync(outside, join(root, 'escape'));
symlinkSync(join(root, 'sub'), join(root, 'ok-link'));

const rw = openRoot({ guestPath: '/data', hostPath: root, readOnly: false });
const ro = openRoot({ guestPath: '/data', hostPath: root, readOnly: true });
const read: OpenOptions = { create: false, directory: false, exclusive: false, truncate: false, write: false, append: false };

describe('preopen paths stay inside their root', () => {
  it.each([
    ['sub/f.txt', true],
    ['./sub/../sub/f.txt', true],
    ['ok-link/f.txt', true],
    ['new-file-not-yet-there', true],
    ['../outside', false],
    ['sub/../../etc/passwd', false],
    ['/etc/passwd', false],
    ['escape/secret', false],
    ['escape', false],
  ])('%s -> allowed %s', (p, allowed) => {
    if (allowed) expect(() => resolveInside(rw, p)).not.toThrow();
    else expect(() => resolveInside(rw, p)).toThrow(expect.objectContaining({ errno: ERRNO.NOTCAPABLE }));
  });

  it('refuses every write on a read-only mount', () => {
    expect(() => openAt(ro, 'sub/f.txt', { ...read, write: true })).toThrow(expect.objectContaining({ errno: ERRNO.ROFS }));
    expect(() => openAt(ro, 'new.txt', { ...read, create: true })).toThrow(expect.objectContaining({ errno: ERRNO.ROFS }));
    expect(openAt(ro, 'sub/f.txt', read).kind).toBe('file');
  });
});
