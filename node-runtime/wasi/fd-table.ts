/**
 * The descriptor table of one instance, numbered as wasmtime numbers it: a freed number is reused
 * (the highest first), otherwise one past the highest in use. Every entry that holds a host fd
 * closes it when it leaves the table, whichever way it leaves: fd_close, fd_renumber onto it, or
 * the end of the invocation.
 */
import * as fs from 'node:fs';
import { ERRNO } from './abi.ts';
import { MAX_OPEN_FDS } from './limits.ts';
import { FsErrno, type DirHandle, type FileHandle } from './preopen-fs.ts';

/** A stdio stream of the invocation. */
export type Stdio = { readonly kind: 'stdin' } | { readonly kind: 'stdout' } | { readonly kind: 'stderr' };

/** What a guest descriptor stands for. */
export type Descriptor = Stdio | DirHandle | FileHandle;

export const STDIN: Stdio = { kind: 'stdin' };
export const STDOUT: Stdio = { kind: 'stdout' };
export const STDERR: Stdio = { kind: 'stderr' };

function release(d: Descriptor): void {
  if ('hostFd' in d) fs.closeSync(d.hostFd);
}

export class FdTable {
  private readonly used = new Map<number, Descriptor>();
  private readonly free = new Set<number>();

  /** Descriptors open now. */
  get size(): number {
    return this.used.size;
  }

  get(fd: number): Descriptor | undefined {
    return this.used.get(fd);
  }

  /** Adds `d` under the next number; MFILE (and `d` closed) when the table is full. */
  push(d: Descriptor): number {
    if (this.used.size >= MAX_OPEN_FDS) {
      release(d);
      throw new FsErrno(ERRNO.MFILE);
    }
    let fd = -1;
    for (const f of this.free) fd = Math.max(fd, f);
    if (fd >= 0) this.free.delete(fd);
    else for (const f of this.used.keys()) fd = Math.max(fd, f + 1);
    fd = Math.max(fd, 0);
    this.used.set(fd, d);
    return fd;
  }

  /** fd_close. */
  close(fd: number): void {
    const d = this.used.get(fd);
    if (!d) throw new FsErrno(ERRNO.BADF);
    this.used.delete(fd);
    this.free.add(fd);
    release(d);
  }

  /** fd_renumber: `to` must be open; what it held is closed, `from` takes its number. */
  renumber(from: number, to: number): void {
    const d = this.used.get(from);
    const replaced = this.used.get(to);
    if (!d || !replaced) throw new FsErrno(ERRNO.BADF);
    if (from === to) return;
    this.used.delete(from);
    this.free.add(from);
    this.used.set(to, d);
    release(replaced);
  }

  /** Starts over with just stdio and `preopens` (numbered from 3), closing whatever was open. */
  reset(preopens: readonly DirHandle[]): void {
    this.clear();
    this.used.set(0, STDIN);
    this.used.set(1, STDOUT);
    this.used.set(2, STDERR);
    for (let i = 0; i < preopens.length; i++) this.used.set(3 + i, preopens[i]!);
  }

  /** Closes everything (the invocation ended). */
  clear(): void {
    for (const d of this.used.values()) release(d);
    this.used.clear();
    this.free.clear();
  }
}
