import { closeSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ERRNO } from './abi.ts';
import { errnoOf, openAt, openRoot, statAt, symlinkAt, unlinkAt, type DirHandle, type FileHandle, type OpenRequest } from './preopen-fs.ts';

const root = mkdtempSync(join(tmpdir(), 'flotilla-preopen-'));
const outside = mkdtempSync(join(tmpdir(), 'flotilla-outside-'));
mkdirSync(join(root, 'sub'));
writeFileSync(join(root, 'sub', 'f.txt'), 'inside');
writeFileSync(join(outside, 'secret'), 'secret');
symlinkSync(outside, join(root, 'escape-abs'));
symlinkSync(join('..', outside.split('/').pop()!), join(root, 'escape-rel'));
symlinkSync('sub', join(root, 'ok-link'));
symlinkSync('sub/../sub/f.txt', join(root, 'file-link'));
symlinkSync('missing', join(root, 'dangling'));
symlinkSync('loop-b', join(root, 'loop-a'));
symlinkSync('loop-a', join(root, 'loop-b'));
symlinkSync('/proc/self/root', join(root, 'magic'));

const rw = openRoot({ guestPath: '/data', hostPath: root, readOnly: false });
const ro = openRoot({ guestPath: '/data', hostPath: root, readOnly: true });
const proc = openRoot({ guestPath: '/proc', hostPath: '/proc', readOnly: true });
afterAll(() => [rw, ro, proc].forEach((d) => closeSync(d.hostFd)));

const read: OpenRequest = { follow: true, create: false, directory: false, exclusive: false, truncate: false, readRight: true, writeRight: false, append: false, nonblock: false };
const hostFds = () => readdirSync('/proc/self/fd').length;

/** The errno path_open answers (0: it opened, and the test closes what it opened). */
function openErrno(dir: DirHandle, path: string, o: Partial<OpenRequest> = {}): number {
  try {
    closeSync(openAt(dir, path, { ...read, ...o }).hostFd);
    return ERRNO.SUCCESS;
  } catch (err) {
    return errnoOf(err);
  }
}

describe('paths stay inside the directory they start from', () => {
  it.each([
    ['sub/f.txt', {}, ERRNO.SUCCESS],
    ['./sub/../sub/f.txt', {}, ERRNO.SUCCESS],
    ['ok-link/f.txt', {}, ERRNO.SUCCESS],
    ['file-link', {}, ERRNO.SUCCESS],
    ['.', { directory: true }, ERRNO.SUCCESS],
    ['sub/..', { directory: true }, ERRNO.SUCCESS],
    ['..', {}, ERRNO.PERM],
    ['sub/../../etc/passwd', {}, ERRNO.PERM],
    ['/etc/passwd', {}, ERRNO.PERM],
    ['escape-abs/secret', {}, ERRNO.PERM],
    ['escape-rel/secret', {}, ERRNO.PERM],
    ['escape-rel', {}, ERRNO.PERM],
    ['magic/etc/passwd', {}, ERRNO.PERM],
    ['loop-a', {}, ERRNO.LOOP],
    ['dangling', {}, ERRNO.NOENT],
    ['dangling', { follow: false }, ERRNO.LOOP],
    ['ok-link', { follow: false }, ERRNO.LOOP],
    ['sub/f.txt/', {}, ERRNO.NOTDIR],
    ['sub/f.txt', { directory: true }, ERRNO.NOTDIR],
    ['sub/f.txt/x', {}, ERRNO.NOTDIR],
    ['', {}, ERRNO.NOENT],
    ['a\0b', {}, ERRNO.INVAL],
    ['.', { create: true, directory: true }, ERRNO.INVAL],
  ] as const)('%j %j -> errno %i', (path, o, errno) => {
    expect(openErrno(rw, path, o)).toBe(errno);
  });

  it('reads what a followed in-sandbox symlink names', () => {
    const f = openAt(rw, 'file-link', read) as FileHandle;
    expect(readFileSync(f.hostFd, 'utf8')).toBe('inside');
    closeSync(f.hostFd);
  });

  it('never climbs above a subdirectory handle, even inside the preopen', () => {
    const sub = openAt(rw, 'sub', { ...read, directory: true }) as DirHandle;
    expect(openErrno(sub, 'f.txt')).toBe(ERRNO.SUCCESS);
    expect(openErrno(sub, '../sub/f.txt')).toBe(ERRNO.PERM);
    closeSync(sub.hostFd);
  });

  it.each([['self/root/etc/passwd'], ['self/cwd'], ['thread-self/root'], ['1/root'], ['self/fd/0'], ['self/exe']])(
    'a /proc volume does not lead out through the magic link %s',
    (path) => {
      expect([ERRNO.PERM, ERRNO.NOENT, ERRNO.ACCES]).toContain(openErrno(proc, path));
    },
  );

  it('refuses to create a symlink with an absolute target', () => {
    expect(() => symlinkAt('/etc', rw, 'new-link')).toThrow(expect.objectContaining({ errno: ERRNO.PERM }));
  });

  it('closes every directory it opened on the way, also when it fails', () => {
    const before = hostFds();
    for (let i = 0; i < 50; i++) {
      openErrno(rw, 'ok-link/../sub/f.txt');
      openErrno(rw, 'sub/../../x');
      openErrno(rw, 'loop-a');
      expect(() => statAt(rw, 'ok-link/missing', true)).toThrow();
    }
    expect(hostFds()).toBe(before);
  });

  it('refuses every write on a read-only mount', () => {
    expect(openErrno(ro, 'sub/f.txt', { writeRight: true })).toBe(ERRNO.ROFS);
    expect(openErrno(ro, 'new.txt', { create: true })).toBe(ERRNO.ROFS);
    expect(openErrno(ro, 'sub/f.txt', { truncate: true })).toBe(ERRNO.ROFS);
    expect(() => unlinkAt(ro, 'sub/f.txt')).toThrow(expect.objectContaining({ errno: ERRNO.ROFS }));
    expect(openErrno(ro, 'sub/f.txt')).toBe(ERRNO.SUCCESS);
  });
});
