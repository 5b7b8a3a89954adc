/**
 * The filesystem side of our WASI layer: host directories preopened for a module (a function's
 * `capabilities.volumes`, or `flotilla run --dir`), with the sandbox rules of wasmtime's cap-std.
 *
 * Every directory the guest holds is an open host directory fd, and every guest path is walked
 * from one of them a component at a time: `..` may not climb above the directory the walk started
 * from, absolute paths and absolute symlink targets are refused (PERM), relative symlinks are
 * expanded by us (at most MAX_SYMLINKS) and never by the kernel. Node has no openat, so each step
 * names its directory as /proc/self/fd/<fd>/<name>: the kernel resolves that magic link to the
 * open directory itself, not to a path, so a directory renamed or swapped for a symlink meanwhile
 * (by a second instance sharing the volume) cannot redirect the step, and the last component is
 * always opened with O_NOFOLLOW. Magic links inside a volume (a /proc volume's self/root, cwd, fd/N)
 * read as absolute targets and are refused like any other. Linux only, as the node is.
 * Read-only mounts refuse every write with ROFS.
 */
import * as fs from 'node:fs';
import { ERRNO, FILETYPE, type Errno } from './abi.ts';
import { MAX_SYMLINKS } from './limits.ts';

export interface Preopen {
  /** Absolute path the module sees. */
  readonly guestPath: string;
  /** Absolute host directory. */
  readonly hostPath: string;
  readonly readOnly: boolean;
}

/** One entry of a directory listing, as fd_readdir reports it. */
export interface DirEntry {
  readonly name: Uint8Array;
  readonly type: number;
  readonly ino: bigint;
}

/** An open directory: the base of path calls. */
export interface DirHandle {
  readonly kind: 'dir';
  readonly hostFd: number;
  readonly preopen: Preopen;
  /** Set for the preopened roots: the name fd_prestat_dir_name reports. */
  readonly preopenName?: string;
  /** Opened with the FD_READ right (fdstat reports FD_READ / FD_READDIR only then). */
  readonly readRight: boolean;
  /** The listing fd_readdir pages through; taken afresh at cookie 0 so cookies stay stable. */
  listing?: readonly DirEntry[];
}

/** An open regular file. */
export interface FileHandle {
  readonly kind: 'file';
  readonly hostFd: number;
  readonly preopen: Preopen;
  readonly readRight: boolean;
  readonly writeRight: boolean;
  /** Opened with O_APPEND: the kernel appends whatever position a write names. */
  readonly openedAppend: boolean;
  position: bigint;
  /** fdflags APPEND (fd_fdstat_set_flags may change it). */
  append: boolean;
  nonblock: boolean;
}

/** A failed filesystem call: the errno the guest gets. */
export class FsErrno extends Error {
  readonly errno: Errno;
  constructor(errno: Errno) {
    super(`wasi errno ${errno}`);
    this.errno = errno;
  }
}

const HOST_ERRNO: Readonly<Record<string, Errno>> = {
  ENOENT: ERRNO.NOENT, EEXIST: ERRNO.EXIST, ENOTDIR: ERRNO.NOTDIR, EISDIR: ERRNO.ISDIR, ENOTEMPTY: ERRNO.NOTEMPTY,
  EACCES: ERRNO.ACCES, EPERM: ERRNO.PERM, ENAMETOOLONG: ERRNO.NAMETOOLONG, ELOOP: ERRNO.LOOP, EMFILE: ERRNO.MFILE,
  ENFILE: ERRNO.NFILE, EBADF: ERRNO.BADF, EINVAL: ERRNO.INVAL, EXDEV: ERRNO.XDEV, EBUSY: ERRNO.BUSY,
  ENOSPC: ERRNO.NOSPC, EDQUOT: ERRNO.DQUOT, EFBIG: ERRNO.FBIG, EROFS: ERRNO.ROFS, EMLINK: ERRNO.MLINK,
  ETXTBSY: ERRNO.TXTBSY, EAGAIN: ERRNO.AGAIN, ENXIO: ERRNO.NXIO, ESPIPE: ERRNO.SPIPE, EPIPE: ERRNO.PIPE,
  EINTR: ERRNO.INTR, ENOMEM: ERRNO.NOMEM, EOVERFLOW: ERRNO.OVERFLOW, ENOTSUP: ERRNO.NOTSUP, EOPNOTSUPP: ERRNO.NOTSUP,
};

/** True for the errors a filesystem call may turn into an errno (ours, and the kernel's). */
export function isFsError(err: unknown): boolean {
  return err instanceof FsErrno || (err instanceof Error && 'syscall' in err);
}

/** Maps a filesystem failure to a WASI errno. */
export function errnoOf(err: unknown): Errno {
  if (err instanceof FsErrno) return err.errno;
  return HOST_ERRNO[(err as NodeJS.ErrnoException).code ?? ''] ?? ERRNO.IO;
}

/** The path by which the kernel finds `name` inside the directory open as `dirFd` (openat for Node). */
export function at(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

/** Where a guest path ends: an open directory and the last component inside it. */
export interface Resolved {
  /** Host fd of the directory holding the last component (valid only inside the callback). */
  readonly dirFd: number;
  /** A plain name, or '.' when the path names that directory itself. */
  readonly name: string;
  /** The path ended in '/', '.' or '..': it must name a directory. */
  readonly dirOnly: boolean;
}

function parse(p: string): { parts: string[]; dirOnly: boolean } {
  const raw = p.split('/');
  const last = raw[raw.length - 1];
  return { parts: raw.filter((c) => c !== '' && c !== '.'), dirOnly: last === '' || last === '.' || last === '..' };
}

const DIR_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;

/**
 * Walks `guestPath` from the directory open as `baseFd` and calls `use` with where it ends; every
 * directory opened on the way is closed afterwards. `follow`: a symlink as the last component is
 * followed; `slashFollows`: so is one named with a trailing slash (POSIX; wasmtime's stat does not).
 */
export function withResolved<T>(baseFd: number, guestPath: string, follow: boolean, use: (r: Resolved) => T, slashFollows = true): T {
  if (guestPath === '') throw new FsErrno(ERRNO.NOENT);
  if (guestPath.startsWith('/')) throw new FsErrno(ERRNO.PERM);
  if (guestPath.includes('\0')) throw new FsErrno(ERRNO.INVAL);
  const opened: number[] = [];
  const top = () => opened[opened.length - 1] ?? baseFd;
  let { parts, dirOnly } = parse(guestPath);
  let links = 0;
  try {
    for (let i = 0; ; ) {
      if (i === parts.length) return use({ dirFd: top(), name: '.', dirOnly: true });
      const name = parts[i]!;
      if (name === '..') {
        // The walk's base is the capability: nothing above it is reachable, even inside the preopen.
        if (opened.length === 0) throw new FsErrno(ERRNO.PERM);
        fs.closeSync(opened.pop()!);
        i++;
        continue;
      }
      const last = i === parts.length - 1;
      if (last && !follow && !(dirOnly && slashFollows)) return use({ dirFd: top(), name, dirOnly });
      let st: fs.Stats;
      try {
        st = fs.lstatSync(at(top(), name));
      } catch (err) {
        if (last && (err as NodeJS.ErrnoException).code === 'ENOENT') return use({ dirFd: top(), name, dirOnly });
        throw err;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw new FsErrno(ERRNO.LOOP);
        const target = fs.readlinkSync(at(top(), name));
        // An absolute target (magic links included) names the host's tree, never the sandbox's.
        if (target.startsWith('/')) throw new FsErrno(ERRNO.PERM);
        if (target === '') throw new FsErrno(ERRNO.NOENT);
        const t = parse(target);
        if (last) dirOnly ||= t.dirOnly;
        parts = [...t.parts, ...parts.slice(i + 1)];
        i = 0;
        continue;
      }
      if (last) return use({ dirFd: top(), name, dirOnly });
      if (!st.isDirectory()) throw new FsErrno(ERRNO.NOTDIR);
      opened.push(fs.openSync(at(top(), name), DIR_FLAGS));
      i++;
    }
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
}

/** Opens a preopen's root directory (the one host path we trust as given: it is the node's config). */
export function openRoot(preopen: Preopen): DirHandle {
  const hostFd = fs.openSync(preopen.hostPath, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  return { kind: 'dir', hostFd, preopen, preopenName: preopen.guestPath, readRight: true };
}

/** The WASI file type of a host stat. */
export function filetypeOf(st: fs.Stats | fs.BigIntStats): number {
  if (st.isDirectory()) return FILETYPE.DIRECTORY;
  if (st.isFile()) return FILETYPE.REGULAR_FILE;
  if (st.isSymbolicLink()) return FILETYPE.SYMBOLIC_LINK;
  if (st.isCharacterDevice()) return FILETYPE.CHARACTER_DEVICE;
  if (st.isBlockDevice()) return FILETYPE.BLOCK_DEVICE;
  return FILETYPE.UNKNOWN;
}

/** What path_open asks for: its oflags, fdflags and the FD_READ / FD_WRITE rights. */
export interface OpenRequest {
  readonly follow: boolean;
  readonly create: boolean;
  readonly directory: boolean;
  readonly exclusive: boolean;
  readonly truncate: boolean;
  readonly readRight: boolean;
  readonly writeRight: boolean;
  readonly append: boolean;
  readonly nonblock: boolean;
}

/**
 * path_open: opens a file or directory below `dir`. The kernel open mode is wasmtime's: creating
 * or truncating needs write access whatever the rights say, and without write it is read.
 */
export function openAt(dir: DirHandle, guestPath: string, o: OpenRequest): DirHandle | FileHandle {
  if (o.directory && (o.create || o.exclusive || o.truncate)) throw new FsErrno(ERRNO.INVAL);
  const write = o.writeRight || o.create || o.truncate;
  if (write && dir.preopen.readOnly) throw new FsErrno(ERRNO.ROFS);
  return withResolved(dir.hostFd, guestPath, o.follow, (r) => {
    const c = fs.constants;
    let flags = write ? (o.readRight ? c.O_RDWR : c.O_WRONLY) : c.O_RDONLY;
    if (o.create) flags |= c.O_CREAT | (o.exclusive ? c.O_EXCL : 0);
    if (o.truncate) flags |= c.O_TRUNC;
    if (o.append) flags |= c.O_APPEND;
    // "name/" cannot be created as a file (Linux says EISDIR; O_CREAT|O_DIRECTORY would be EINVAL).
    if (r.dirOnly && o.create) throw new FsErrno(ERRNO.ISDIR);
    if (o.directory || r.dirOnly) flags |= c.O_DIRECTORY;
    // NOFOLLOW: a symlink left as the last component was not to be followed. NONBLOCK: opening a
    // FIFO found in a volume must not park the thread.
    flags |= c.O_NOFOLLOW | c.O_NONBLOCK;
    let hostFd: number;
    try {
      hostFd = fs.openSync(at(r.dirFd, r.name), flags, 0o666);
    } catch (err) {
      // O_DIRECTORY|O_NOFOLLOW on a symlink: the kernel says "not a directory", wasmtime says LOOP.
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR' && !o.follow && fs.lstatSync(at(r.dirFd, r.name)).isSymbolicLink()) throw new FsErrno(ERRNO.LOOP);
      throw err;
    }
    try {
      const st = fs.fstatSync(hostFd);
      if (st.isDirectory()) return { kind: 'dir', hostFd, preopen: dir.preopen, readRight: o.readRight };
      return { kind: 'file', hostFd, preopen: dir.preopen, readRight: o.readRight, writeRight: o.writeRight, openedAppend: o.append, position: 0n, append: o.append, nonblock: o.nonblock };
    } catch (err) {
      fs.closeSync(hostFd);
      throw err;
    }
  });
}

/** Refuses a change below a read-only mount. */
export function requireWritable(dir: DirHandle): void {
  if (dir.preopen.readOnly) throw new FsErrno(ERRNO.ROFS);
}

/** path_filestat_get: stat of what `guestPath` names (its last symlink followed when `follow`). */
export function statAt(dir: DirHandle, guestPath: string, follow: boolean): fs.BigIntStats {
  return withResolved(
    dir.hostFd,
    guestPath,
    follow,
    (r) => {
      const st = fs.lstatSync(at(r.dirFd, r.name), { bigint: true });
      if (r.dirOnly && !st.isDirectory() && !st.isSymbolicLink()) throw new FsErrno(ERRNO.NOTDIR);
      return st;
    },
    false,
  );
}

/** path_create_directory. */
export function mkdirAt(dir: DirHandle, guestPath: string): void {
  requireWritable(dir);
  withResolved(dir.hostFd, guestPath, false, (r) => fs.mkdirSync(at(r.dirFd, r.name), 0o777));
}

/** path_unlink_file: a trailing slash names a directory, which unlink refuses. */
export function unlinkAt(dir: DirHandle, guestPath: string): void {
  requireWritable(dir);
  withResolved(dir.hostFd, guestPath, false, (r) => {
    if (r.dirOnly) throw new FsErrno(fs.lstatSync(at(r.dirFd, r.name)).isDirectory() ? ERRNO.ISDIR : ERRNO.NOTDIR);
    fs.unlinkSync(at(r.dirFd, r.name));
  });
}

/** path_remove_directory. */
export function rmdirAt(dir: DirHandle, guestPath: string): void {
  requireWritable(dir);
  withResolved(dir.hostFd, guestPath, false, (r) => {
    // "d/" is "d/." to wasmtime, whose rmdir refuses it as Linux refuses rmdir(".").
    if (r.dirOnly) throw new FsErrno(fs.lstatSync(at(r.dirFd, r.name)).isDirectory() ? ERRNO.INVAL : ERRNO.NOTDIR);
    fs.rmdirSync(at(r.dirFd, r.name));
  });
}

/** path_rename: both ends resolved in their own directories; rename(2) follows neither. */
export function renameAt(from: DirHandle, fromPath: string, to: DirHandle, toPath: string): void {
  requireWritable(from);
  requireWritable(to);
  withResolved(from.hostFd, fromPath, false, (src) =>
    withResolved(to.hostFd, toPath, false, (dst) => {
      if ((src.dirOnly || dst.dirOnly) && !fs.lstatSync(at(src.dirFd, src.name)).isDirectory()) throw new FsErrno(ERRNO.NOTDIR);
      fs.renameSync(at(src.dirFd, src.name), at(dst.dirFd, dst.name));
    }),
  );
}

/** path_symlink: an absolute target could only ever name the host's tree, so it is refused. */
export function symlinkAt(target: string, dir: DirHandle, guestPath: string): void {
  requireWritable(dir);
  if (target.startsWith('/')) throw new FsErrno(ERRNO.PERM);
  if (target.includes('\0')) throw new FsErrno(ERRNO.INVAL);
  withResolved(dir.hostFd, guestPath, false, (r) => {
    if (r.dirOnly) throw new FsErrno(ERRNO.NOENT);
    fs.symlinkSync(target, at(r.dirFd, r.name));
  });
}

/** path_link: a hard link; link(2) does not follow the source's last symlink, so we do when asked. */
export function linkAt(from: DirHandle, fromPath: string, follow: boolean, to: DirHandle, toPath: string): void {
  requireWritable(to);
  withResolved(from.hostFd, fromPath, follow, (src) =>
    withResolved(to.hostFd, toPath, false, (dst) => fs.linkSync(at(src.dirFd, src.name), at(dst.dirFd, dst.name))),
  );
}

/** path_readlink: the link's target bytes. */
export function readlinkAt(dir: DirHandle, guestPath: string): Buffer {
  return withResolved(dir.hostFd, guestPath, false, (r) => fs.readlinkSync(at(r.dirFd, r.name), { encoding: 'buffer' }));
}

/** New times for set_times: a value in ns, 'now', or undefined (unchanged). */
export type NewTime = bigint | 'now' | undefined;

function seconds(t: NewTime, current: bigint): number {
  if (t === 'now') return Date.now() / 1000;
  return Number(t ?? current) / 1e9;
}

/** path_filestat_set_times (Node's utimes takes seconds as a double: sub-microsecond digits round). */
export function setTimesAt(dir: DirHandle, guestPath: string, follow: boolean, atime: NewTime, mtime: NewTime): void {
  requireWritable(dir);
  withResolved(dir.hostFd, guestPath, follow, (r) => {
    const p = at(r.dirFd, r.name);
    const st = fs.lstatSync(p, { bigint: true });
    fs.lutimesSync(p, seconds(atime, st.atimeNs), seconds(mtime, st.mtimeNs));
  });
}

/** fd_filestat_set_times. */
export function setTimesFd(node: DirHandle | FileHandle, atime: NewTime, mtime: NewTime): void {
  if (node.preopen.readOnly) throw new FsErrno(ERRNO.ROFS);
  const st = fs.fstatSync(node.hostFd, { bigint: true });
  fs.futimesSync(node.hostFd, seconds(atime, st.atimeNs), seconds(mtime, st.mtimeNs));
}

const encoder = new TextEncoder();

/** The directory's entries (without '.' and '..'), sorted by name so cookies are stable. */
export function listDirectory(dir: DirHandle): DirEntry[] {
  const entries = fs.readdirSync(at(dir.hostFd, '.'), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return entries.map((e) => {
    let ino = 0n;
    try {
      ino = fs.lstatSync(at(dir.hostFd, e.name), { bigint: true }).ino;
    } catch {
      // Removed between the listing and the stat: listed as it was, as readdir(3) would.
    }
    const type = e.isDirectory() ? FILETYPE.DIRECTORY : e.isFile() ? FILETYPE.REGULAR_FILE : e.isSymbolicLink() ? FILETYPE.SYMBOLIC_LINK : e.isCharacterDevice() ? FILETYPE.CHARACTER_DEVICE : e.isBlockDevice() ? FILETYPE.BLOCK_DEVICE : FILETYPE.UNKNOWN;
    return { name: encoder.encode(e.name), type, ino };
  });
}
