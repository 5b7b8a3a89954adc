/**
 * The filesystem side of our WASI layer: host directories preopened for a module (a function's
 * `capabilities.volumes`, or `flotilla run --dir`). Every guest path is resolved inside its
 * preopen's root, and the real path of what it names must stay inside that root, so neither `..`
 * nor a symlink can reach the rest of the host. Read-only mounts refuse every write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERRNO, FILETYPE } from './abi.ts';

export interface Preopen {
  /** Absolute path the module sees. */
  readonly guestPath: string;
  /** Absolute host directory. */
  readonly hostPath: string;
  readonly readOnly: boolean;
}

/** An open directory or file inside a preopen. `rel` is relative to the preopen root. */
export interface FsNode {
  readonly kind: 'dir' | 'file';
  readonly preopen: Preopen;
  /** Real path of the preopen root, resolved once. */
  readonly root: string;
  readonly rel: string;
  hostFd?: number;
  position: bigint;
  readonly append: boolean;
}

export type Errno = (typeof ERRNO)[keyof typeof ERRNO];

export class FsErrno extends Error {
  readonly errno: Errno;
  constructor(errno: Errno) {
    super(`wasi errno ${errno}`);
    this.errno = errno;
  }
}

/** Maps a Node fs error to a WASI errno. */
export function errnoOf(err: unknown): Errno {
  if (err instanceof FsErrno) return err.errno;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT': return ERRNO.NOENT;
    case 'EEXIST': return ERRNO.EXIST;
    case 'ENOTDIR': return ERRNO.NOTDIR;
    case 'EISDIR': return ERRNO.ISDIR;
    case 'ENOTEMPTY': return ERRNO.NOTEMPTY;
    case 'EACCES': return ERRNO.ACCES;
    case 'EPERM': return ERRNO.PERM;
    case 'ENAMETOOLONG': return ERRNO.NAMETOOLONG;
    default: return ERRNO.IO;
  }
}

/**
 * Joins a guest path onto a directory node, refusing absolute paths and anything that leaves the
 * root, then checks the real path of the deepest existing ancestor (symlinks resolved) is still
 * inside the root. Returns the host path.
 */
export function resolveInside(dir: FsNode, guestRelative: string): { host: string; rel: string } {
  if (guestRelative.startsWith('/') || guestRelative.includes('\0')) throw new FsErrno(ERRNO.NOTCAPABLE);
  const rel = path.posix.normalize(path.posix.join(dir.rel, guestRelative));
  if (rel === '..' || rel.startsWith('../')) throw new FsErrno(ERRNO.NOTCAPABLE);
  const host = path.join(dir.root, rel);
  let probe = host;
  for (;;) {
    try {
      const real = fs.realpathSync(probe);
      if (real !== dir.root && !real.startsWith(dir.root + path.sep)) throw new FsErrno(ERRNO.NOTCAPABLE);
      break;
    } catch (err) {
      if (err instanceof FsErrno) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = path.dirname(probe);
      if (parent === probe) throw new FsErrno(ERRNO.NOTCAPABLE);
      probe = parent;
    }
  }
  return { host, rel: rel === '.' ? '' : rel };
}

/** Opens a preopen root as a directory node. */
export function openRoot(preopen: Preopen): FsNode {
  const root = fs.realpathSync(preopen.hostPath);
  if (!fs.statSync(root).isDirectory()) throw new Error(`expected a directory, got ${preopen.hostPath}`);
  return { kind: 'dir', preopen, root, rel: '', position: 0n, append: false };
}

export function filetypeOf(st: fs.Stats): number {
  if (st.isDirectory()) return FILETYPE.DIRECTORY;
  if (st.isFile()) return FILETYPE.REGULAR_FILE;
  if (st.isSymbolicLink()) return FILETYPE.SYMBOLIC_LINK;
  return FILETYPE.UNKNOWN;
}

export interface OpenOptions {
  readonly create: boolean;
  readonly directory: boolean;
  readonly exclusive: boolean;
  readonly truncate: boolean;
  readonly write: boolean;
  readonly append: boolean;
}

/** path_open: opens a file or directory below `dir`. */
export function openAt(dir: FsNode, guestPath: string, o: OpenOptions): FsNode {
  const { host, rel } = resolveInside(dir, guestPath);
  const mutating = o.create || o.truncate || o.write || o.append;
  if (mutating && dir.preopen.readOnly) throw new FsErrno(ERRNO.ROFS);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !o.create) throw err;
  }
  if (st?.isDirectory() || (o.directory && !o.create)) {
    if (!st) throw new FsErrno(ERRNO.NOENT);
    if (!st.isDirectory()) throw new FsErrno(ERRNO.NOTDIR);
    if (mutating) throw new FsErrno(ERRNO.ISDIR);
    return { kind: 'dir', preopen: dir.preopen, root: dir.root, rel, position: 0n, append: false };
  }
  if (st && o.exclusive && o.create) throw new FsErrno(ERRNO.EXIST);
  let flags = o.write || o.append || o.truncate || o.create ? fs.constants.O_RDWR : fs.constants.O_RDONLY;
  if (o.create) flags |= fs.constants.O_CREAT;
  if (o.exclusive) flags |= fs.constants.O_EXCL;
  if (o.truncate) flags |= fs.constants.O_TRUNC;
  if (o.append) flags |= fs.constants.O_APPEND;
  // O_NOFOLLOW: the final component was checked by realpath, but a racing swap to a symlink must not be followed.
  flags |= fs.constants.O_NOFOLLOW;
  const hostFd = fs.openSync(host, flags, 0o644);
  return { kind: 'file', preopen: dir.preopen, root: dir.root, rel, hostFd, position: 0n, append: o.append };
}

/** Host path of a node (for stat and directory listing). */
export function hostPathOf(node: FsNode): string {
  return path.join(node.root, node.rel);
}

export function requireWritable(dir: FsNode): void {
  if (dir.preopen.readOnly) throw new FsErrno(ERRNO.ROFS);
}
