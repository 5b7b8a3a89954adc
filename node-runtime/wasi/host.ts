/**
 * Our WASI preview1 layer (docs/architecture.md, "WASI decision"; docs/wasi.md for the calls and
 * where we differ from wasmtime): a capability-scoped host that grants a module exactly what its
 * spec grants. stdin, stdout and stderr are in-memory streams the engine hands in per invocation;
 * args and env are only those given; the only filesystem is the preopened directories of
 * preopen-fs.ts; no sockets. Every WASI function the module imports and we do not grant answers
 * NOSYS instead of failing the link, so modules built with any toolchain link.
 *
 * Each call answers as wasmtime's preview1 does (errno for errno, trap for a pointer outside
 * memory) and within the bounds of limits.ts, so no guest-chosen count or length makes the host
 * allocate or loop beyond them.
 *
 * One host serves one instance for its whole life; `begin()` swaps in the next invocation's I/O
 * and `end()` closes every host fd the invocation opened.
 */
import * as fs from 'node:fs';
import {
  ADVICE_MAX, CLOCK, ERRNO, EVENT_FD_READWRITE_HANGUP, EVENTTYPE, FDFLAGS, FILETYPE, FSTFLAGS, LOOKUP_SYMLINK_FOLLOW, OFLAGS,
  RIGHTS, RIGHTS_ALL, SUBCLOCK_ABSTIME, WASI_MODULE, WasiExit, WHENCE, type Errno,
} from './abi.ts';
import { FdTable, type Descriptor } from './fd-table.ts';
import { HOSTCALL_FUEL, MAX_PATH_BYTES, WasiTrap } from './limits.ts';
import {
  errnoOf, FsErrno, filetypeOf, isFsError, linkAt, listDirectory, mkdirAt, openAt, openRoot, readlinkAt, renameAt, rmdirAt,
  setTimesAt, setTimesFd, statAt, symlinkAt, unlinkAt, type DirHandle, type FileHandle, type NewTime, type Preopen,
} from './preopen-fs.ts';
import type { Import } from '../compile/wasm-binary.ts';

/** Where the module's stdin comes from. */
export interface InputSource {
  /** Fills `into`, returns the byte count (0 at end of input). */
  read(into: Uint8Array): number;
}

/** Where stdout / stderr go. `write` copies what it keeps; it may throw to abort the module. */
export interface OutputSink {
  write(bytes: Uint8Array): void;
}

/** The I/O of one invocation. */
export interface WasiIo {
  readonly args: readonly string[];
  /** "NAME=value" entries. */
  readonly env: readonly string[];
  readonly stdin: InputSource;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
}

/** A stdin over a byte array. */
export function bytesInput(bytes: Uint8Array): InputSource {
  let pos = 0;
  return {
    read(into) {
      const n = Math.min(into.length, bytes.length - pos);
      into.set(bytes.subarray(pos, pos + n));
      pos += n;
      return n;
    },
  };
}

const EMPTY = new Uint8Array(0);

/**
 * An output that collects up to `limit` bytes and calls `overflow` (which should throw) past it.
 * One buffer grown by doubling: a module writing a byte per call costs bytes, not an object per call.
 */
export class CollectingSink implements OutputSink {
  private buffer = EMPTY;
  length = 0;
  readonly limit: number;
  readonly overflow: () => never;

  constructor(limit: number, overflow: () => never) {
    this.limit = limit;
    this.overflow = overflow;
  }

  write(bytes: Uint8Array): void {
    const end = this.length + bytes.length;
    if (end > this.limit) this.overflow();
    if (end > this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.limit, Math.max(end, this.buffer.length * 2, 256)));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length = end;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const MAX_I64 = (1n << 63n) - 1n;
const MAX_U64 = (1n << 64n) - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Rights of a preopened directory, as wasmtime reports them (what userlands expect to see). */
const PREOPEN_RIGHTS = RIGHTS.PATH_CREATE_DIRECTORY | RIGHTS.PATH_CREATE_FILE | RIGHTS.PATH_LINK_SOURCE | RIGHTS.PATH_LINK_TARGET
  | RIGHTS.PATH_OPEN | RIGHTS.FD_READDIR | RIGHTS.PATH_READLINK | RIGHTS.PATH_RENAME_SOURCE | RIGHTS.PATH_RENAME_TARGET
  | RIGHTS.PATH_SYMLINK | RIGHTS.PATH_REMOVE_DIRECTORY | RIGHTS.PATH_UNLINK_FILE | RIGHTS.PATH_FILESTAT_GET
  | RIGHTS.PATH_FILESTAT_SET_TIMES | RIGHTS.FD_FILESTAT_GET | RIGHTS.FD_FILESTAT_SET_TIMES;
const PREOPEN_INHERITING = PREOPEN_RIGHTS | RIGHTS.FD_DATASYNC | RIGHTS.FD_READ | RIGHTS.FD_SEEK | RIGHTS.FD_FDSTAT_SET_FLAGS
  | RIGHTS.FD_SYNC | RIGHTS.FD_TELL | RIGHTS.FD_WRITE | RIGHTS.FD_ADVISE | RIGHTS.FD_ALLOCATE | RIGHTS.FD_FILESTAT_GET
  | RIGHTS.FD_FILESTAT_SET_SIZE | RIGHTS.FD_FILESTAT_SET_TIMES | RIGHTS.POLL_FD_READWRITE;
const DIR_NOT_RIGHTS = RIGHTS.FD_SEEK | RIGHTS.FD_FILESTAT_SET_SIZE | RIGHTS.PATH_FILESTAT_SET_SIZE | RIGHTS.FD_WRITE;

type HostFunction = (...args: never[]) => number | void;

/** begin()'s root list when there are no preopens: the request path allocates none. */
const NO_ROOTS: DirHandle[] = [];

export class WasiHost {
  private memory: WebAssembly.Memory | undefined;
  private dv = new DataView(new ArrayBuffer(0));
  private io: WasiIo | undefined;
  private readonly preopens: readonly Preopen[];
  private readonly fds = new FdTable();
  /** fd_readdir's dirent header, built here and copied (possibly truncated) into memory. */
  private readonly dirent = new DataView(new ArrayBuffer(24));

  constructor(preopens: readonly Preopen[] = []) {
    this.preopens = preopens;
  }

  /** Binds the instance's memory (after instantiation). */
  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** Starts an invocation: a fresh fd table with stdio and the preopens. */
  begin(io: WasiIo): void {
    const roots: DirHandle[] = this.preopens.length === 0 ? NO_ROOTS : [];
    try {
      for (const p of this.preopens) roots.push(openRoot(p));
    } catch (err) {
      for (const r of roots) fs.closeSync(r.hostFd);
      throw err;
    }
    this.fds.reset(roots);
    this.io = io;
  }

  /** Ends an invocation: closes every host fd the module left open. */
  end(): void {
    this.fds.clear();
    this.io = undefined;
  }

  /** The import object for a module's WASI imports (ungranted names get a NOSYS stub). */
  imports(moduleImports: readonly Import[]): WebAssembly.Imports {
    const table = this.functions();
    const wasi: Record<string, HostFunction> = {};
    for (const imp of moduleImports) {
      if (imp.module !== WASI_MODULE || imp.kind !== 0) continue;
      const fn = table[imp.name];
      const name = imp.name;
      wasi[name] = fn
        ? (...args: never[]) => {
            try {
              return fn(...args);
            } catch (err) {
              if (isFsError(err)) return errnoOf(err);
              // A DataView access outside memory: the module passed a bad pointer (a stack overflow is not ours to rename).
              if (err instanceof RangeError && !/call stack/i.test(err.message)) throw new WasiTrap(`${name}: expected pointers inside the module's memory, got one outside it (${err.message})`, { cause: err });
              throw err;
            }
          }
        : () => ERRNO.NOSYS;
    }
    return { [WASI_MODULE]: wasi };
  }

  /** The memory as a DataView; made anew only after memory.grow replaced the buffer. */
  private view(): DataView {
    const buffer = this.memory!.buffer;
    if (this.dv.buffer !== buffer) this.dv = new DataView(buffer);
    return this.dv;
  }

  /** `len` bytes of memory at `ptr`; a range outside memory traps. */
  private bytes(call: string, ptr: number, len: number): Uint8Array {
    const buffer = this.memory!.buffer;
    if (ptr + len > buffer.byteLength) throw new WasiTrap(`${call}: expected ${len} bytes at ${ptr} inside memory of ${buffer.byteLength} bytes, got a range past its end`);
    return new Uint8Array(buffer, ptr, len);
  }

  /** A path argument: bounded by MAX_PATH_BYTES, valid UTF-8. */
  private path(call: string, ptr: number, len: number): string {
    if (len >= MAX_PATH_BYTES) throw new FsErrno(ERRNO.NAMETOOLONG);
    try {
      return decoder.decode(this.bytes(call, ptr, len));
    } catch (err) {
      if (err instanceof TypeError) throw new FsErrno(ERRNO.ILSEQ);
      throw err;
    }
  }

  private sizes(list: readonly string[], countPtr: number, sizePtr: number): number {
    let size = 0;
    for (let i = 0; i < list.length; i++) size += Buffer.byteLength(list[i]!, 'utf8') + 1;
    if (size > 0xffffffff) return ERRNO.OVERFLOW;
    const view = this.view();
    view.setUint32(countPtr, list.length, true);
    view.setUint32(sizePtr, size, true);
    return ERRNO.SUCCESS;
  }

  /** Writes a list of strings in the argv/environ layout (pointer array + NUL-terminated buffer). */
  private writeStrings(call: string, list: readonly string[], ptrs: number, buf: number): number {
    const view = this.view();
    this.bytes(call, ptrs, list.length * 4);
    let off = buf;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      const len = Buffer.byteLength(s, 'utf8');
      view.setUint32(ptrs + i * 4, off, true);
      encoder.encodeInto(s, this.bytes(call, off, len + 1));
      view.setUint8(off + len, 0);
      off += len + 1;
    }
    return ERRNO.SUCCESS;
  }

  private descriptor(fd: number): Descriptor {
    const d = this.fds.get(fd);
    if (!d) throw new FsErrno(ERRNO.BADF);
    return d;
  }

  private file(fd: number): FileHandle {
    const d = this.fds.get(fd);
    if (d?.kind !== 'file') throw new FsErrno(ERRNO.BADF);
    return d;
  }

  private dir(fd: number): DirHandle {
    const d = this.fds.get(fd);
    if (d?.kind !== 'dir') throw new FsErrno(ERRNO.BADF);
    return d;
  }

  /** A file for seek/tell/pread/pwrite: stdio answers SPIPE, as wasmtime's does. */
  private seekable(fd: number): FileHandle {
    const d = this.descriptor(fd);
    if (d.kind === 'file') return d;
    throw new FsErrno(d.kind === 'dir' ? ERRNO.BADF : ERRNO.SPIPE);
  }

  /**
   * Validates an iovec array (fuel, bounds) before the descriptor is looked at, as wasmtime does;
   * returns the fuel left for the buffers.
   */
  private iovecFuel(call: string, iovs: number, count: number): number {
    const arrayBytes = count * 8;
    if (arrayBytes > HOSTCALL_FUEL) throw new FsErrno(ERRNO.NOMEM);
    this.bytes(call, iovs, arrayBytes);
    return HOSTCALL_FUEL - arrayBytes;
  }

  /**
   * Gathers the iovecs into `transfer` (which returns the bytes moved) until one moves less than
   * asked. The first non-empty buffer past the fuel answers NOMEM (wasmtime's answer); a later
   * one, or one outside memory after the first, ends the call as a short transfer, which every
   * caller of readv/writev must handle anyway.
   */
  private gather(call: string, iovs: number, count: number, fuel: number, transfer: (chunk: Uint8Array) => number): number {
    const view = this.view();
    const size = this.memory!.buffer.byteLength;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const ptr = view.getUint32(iovs + i * 8, true);
      const len = view.getUint32(iovs + i * 8 + 4, true);
      if (len === 0) continue;
      if (len > fuel || ptr + len > size) {
        if (n > 0) break;
        if (len > fuel) throw new FsErrno(ERRNO.NOMEM);
      }
      fuel -= len;
      const moved = transfer(this.bytes(call, ptr, len));
      n += moved;
      if (moved < len) break;
    }
    return n;
  }

  /** fd_write / fd_pwrite (`at` undefined: at the fd's position). */
  private write(call: string, fd: number, iovs: number, count: number, at: bigint | undefined, out: number): number {
    const fuel = this.iovecFuel(call, iovs, count);
    const d = this.descriptor(fd);
    let n: number;
    if (d.kind === 'stdout' || d.kind === 'stderr') {
      if (at !== undefined) return ERRNO.SPIPE;
      const sink = d.kind === 'stdout' ? this.io!.stdout : this.io!.stderr;
      n = this.gather(call, iovs, count, fuel, (chunk) => {
        sink.write(chunk);
        return chunk.length;
      });
    } else if (d.kind === 'file') {
      n = this.gather(call, iovs, count, fuel, (chunk) => writeFile(d, chunk, at));
      if (at === undefined && d.append) d.position = fs.fstatSync(d.hostFd, { bigint: true }).size;
    } else {
      return ERRNO.BADF;
    }
    this.view().setUint32(out, n, true);
    return ERRNO.SUCCESS;
  }

  /** fd_read / fd_pread. */
  private read(call: string, fd: number, iovs: number, count: number, at: bigint | undefined, out: number): number {
    const fuel = this.iovecFuel(call, iovs, count);
    const d = this.descriptor(fd);
    let n: number;
    if (d.kind === 'stdin') {
      if (at !== undefined) return ERRNO.SPIPE;
      const stdin = this.io!.stdin;
      n = this.gather(call, iovs, count, fuel, (chunk) => stdin.read(chunk));
    } else if (d.kind === 'file') {
      let pos = at ?? d.position;
      if (pos > MAX_I64) return ERRNO.INVAL;
      n = this.gather(call, iovs, count, fuel, (chunk) => {
        const got = fs.readSync(d.hostFd, chunk, 0, chunk.length, pos);
        pos += BigInt(got);
        return got;
      });
      if (at === undefined) d.position = pos;
    } else {
      return ERRNO.BADF;
    }
    this.view().setUint32(out, n, true);
    return ERRNO.SUCCESS;
  }

  private writeFilestat(ptr: number, st: fs.BigIntStats | undefined, filetype: number): void {
    const v = this.view();
    v.setBigUint64(ptr, st?.dev ?? 0n, true);
    v.setBigUint64(ptr + 8, st?.ino ?? 0n, true);
    v.setUint8(ptr + 16, filetype);
    v.setBigUint64(ptr + 24, st?.nlink ?? 0n, true);
    v.setBigUint64(ptr + 32, st?.size ?? 0n, true);
    v.setBigUint64(ptr + 40, st?.atimeNs ?? 0n, true);
    v.setBigUint64(ptr + 48, st?.mtimeNs ?? 0n, true);
    v.setBigUint64(ptr + 56, st?.ctimeNs ?? 0n, true);
  }

  private fdstat(d: Descriptor, out: number): void {
    let type: number = FILETYPE.UNKNOWN;
    let flags = 0;
    let base: bigint;
    let inheriting: bigint;
    if (d.kind === 'stdin') base = inheriting = RIGHTS.FD_READ;
    else if (d.kind === 'stdout' || d.kind === 'stderr') base = inheriting = RIGHTS.FD_WRITE;
    else if (d.kind === 'dir') {
      type = FILETYPE.DIRECTORY;
      if (d.preopenName !== undefined) {
        base = PREOPEN_RIGHTS;
        inheriting = PREOPEN_INHERITING;
      } else {
        base = inheriting = RIGHTS_ALL & ~DIR_NOT_RIGHTS & ~(d.readRight ? 0n : RIGHTS.FD_READ | RIGHTS.FD_READDIR);
      }
    } else {
      type = FILETYPE.REGULAR_FILE;
      flags = (d.append ? FDFLAGS.APPEND : 0) | (d.nonblock ? FDFLAGS.NONBLOCK : 0);
      base = inheriting = RIGHTS_ALL & ~(d.readRight ? 0n : RIGHTS.FD_READ | RIGHTS.FD_READDIR) & ~(d.writeRight ? 0n : RIGHTS.FD_WRITE);
    }
    const v = this.view();
    v.setUint8(out, type);
    v.setUint16(out + 2, flags, true);
    v.setBigUint64(out + 8, base, true);
    v.setBigUint64(out + 16, inheriting, true);
  }

  private readdir(d: DirHandle, buf: number, len: number, cookie: bigint, out: number): void {
    const target = this.bytes('fd_readdir', buf, len);
    if (cookie === 0n || !d.listing) d.listing = listDirectory(d);
    const listing = d.listing;
    const self = fs.fstatSync(d.hostFd, { bigint: true }).ino;
    const total = listing.length + 2;
    const hdr = this.dirent;
    const hdrBytes = new Uint8Array(hdr.buffer);
    let used = 0;
    for (let i = cookie > BigInt(total) ? total : Number(cookie); i < total && used < len; i++) {
      const e = i < 2 ? undefined : listing[i - 2]!;
      const nameLen = e ? e.name.length : i + 1;
      hdr.setBigUint64(0, BigInt(i + 1), true);
      hdr.setBigUint64(8, e ? e.ino : self, true);
      hdr.setUint32(16, nameLen, true);
      hdr.setUint8(20, e ? e.type : FILETYPE.DIRECTORY);
      const h = Math.min(24, len - used);
      target.set(hdrBytes.subarray(0, h), used);
      used += h;
      const name = e ? e.name : i === 0 ? DOT : DOTDOT;
      const m = Math.min(name.length, len - used);
      target.set(name.subarray(0, m), used);
      used += m;
    }
    this.view().setUint32(out, used, true);
  }

  private functions(): Record<string, HostFunction> {
    const io = () => this.io!;
    return {
      args_sizes_get: (argc: number, size: number) => this.sizes(io().args, argc, size),
      args_get: (argv: number, buf: number) => this.writeStrings('args_get', io().args, argv, buf),
      environ_sizes_get: (count: number, size: number) => this.sizes(io().env, count, size),
      environ_get: (environ: number, buf: number) => this.writeStrings('environ_get', io().env, environ, buf),

      // Realtime and monotonic are granted (language runtimes need them; they reveal no host
      // resource); CPU-time clocks answer BADF, as wasmtime's do.
      clock_res_get: (id: number, out: number) => {
        const res = clockResolution(id);
        if (typeof res === 'number') return res;
        this.view().setBigUint64(out, res, true);
        return ERRNO.SUCCESS;
      },
      clock_time_get: (id: number, _precision: bigint, out: number) => {
        const now = clockNow(id);
        if (typeof now === 'number') return now;
        this.view().setBigUint64(out, now, true);
        return ERRNO.SUCCESS;
      },
      random_get: (buf: number, len: number) => {
        const target = this.bytes('random_get', buf, len);
        // getRandomValues fills at most 64 KiB per call.
        for (let off = 0; off < len; off += 65536) crypto.getRandomValues(target.subarray(off, Math.min(len, off + 65536)));
        return ERRNO.SUCCESS;
      },
      sched_yield: () => ERRNO.SUCCESS,
      proc_exit: (code: number) => {
        // WASI exit statuses are 0..125 (126 and up mean "could not run" to a shell); wasmtime refuses the rest.
        if (code >>> 0 >= 126) throw new WasiTrap(`proc_exit: expected an exit status below 126, got ${code >>> 0}`);
        throw new WasiExit(code);
      },
      proc_raise: () => ERRNO.NOTSUP,

      fd_write: (fd: number, iovs: number, count: number, out: number) => this.write('fd_write', fd, iovs, count, undefined, out),
      fd_pwrite: (fd: number, iovs: number, count: number, offset: bigint, out: number) => this.write('fd_pwrite', fd, iovs, count, BigInt.asUintN(64, offset), out),
      fd_read: (fd: number, iovs: number, count: number, out: number) => this.read('fd_read', fd, iovs, count, undefined, out),
      fd_pread: (fd: number, iovs: number, count: number, offset: bigint, out: number) => this.read('fd_pread', fd, iovs, count, BigInt.asUintN(64, offset), out),
      fd_seek: (fd: number, offset: bigint, whence: number, out: number) => {
        if (whence > WHENCE.END) invalid('fd_seek', 'whence', whence);
        const f = this.seekable(fd);
        let next: bigint;
        if (whence === WHENCE.SET) next = offset;
        else if (whence === WHENCE.CUR) next = f.position + offset;
        else next = fs.fstatSync(f.hostFd, { bigint: true }).size + offset;
        if (next < 0n || next > MAX_U64) return ERRNO.INVAL;
        f.position = next;
        this.view().setBigUint64(out, next, true);
        return ERRNO.SUCCESS;
      },
      fd_tell: (fd: number, out: number) => {
        this.view().setBigUint64(out, this.seekable(fd).position, true);
        return ERRNO.SUCCESS;
      },
      fd_close: (fd: number) => {
        this.fds.close(fd);
        return ERRNO.SUCCESS;
      },
      fd_renumber: (from: number, to: number) => {
        this.fds.renumber(from, to);
        return ERRNO.SUCCESS;
      },
      fd_sync: (fd: number) => {
        fs.fsyncSync(this.file(fd).hostFd);
        return ERRNO.SUCCESS;
      },
      fd_datasync: (fd: number) => {
        fs.fdatasyncSync(this.file(fd).hostFd);
        return ERRNO.SUCCESS;
      },
      // Advice is only advice, and Node has no posix_fadvise.
      fd_advise: (fd: number, _offset: bigint, _len: bigint, advice: number) => {
        if (advice > ADVICE_MAX) invalid('fd_advise', 'advice', advice);
        this.file(fd);
        return ERRNO.SUCCESS;
      },
      fd_allocate: (fd: number) => {
        this.file(fd);
        return ERRNO.NOTSUP;
      },
      fd_fdstat_get: (fd: number, out: number) => {
        this.fdstat(this.descriptor(fd), out);
        return ERRNO.SUCCESS;
      },
      fd_fdstat_set_flags: (fd: number, flags: number) => {
        const f = this.file(fd);
        if (flags > 31) invalid('fd_fdstat_set_flags', 'fdflags', flags);
        if ((flags & (FDFLAGS.DSYNC | FDFLAGS.SYNC | FDFLAGS.RSYNC)) !== 0) return ERRNO.INVAL;
        f.append = (flags & FDFLAGS.APPEND) !== 0;
        f.nonblock = (flags & FDFLAGS.NONBLOCK) !== 0;
        return ERRNO.SUCCESS;
      },
      fd_fdstat_set_rights: (fd: number) => {
        if (!('hostFd' in this.descriptor(fd))) return ERRNO.BADF;
        return ERRNO.NOTSUP;
      },
      fd_filestat_get: (fd: number, out: number) => {
        const d = this.descriptor(fd);
        if (!('hostFd' in d)) this.writeFilestat(out, undefined, FILETYPE.UNKNOWN);
        else {
          const st = fs.fstatSync(d.hostFd, { bigint: true });
          this.writeFilestat(out, st, filetypeOf(st));
        }
        return ERRNO.SUCCESS;
      },
      fd_filestat_set_size: (fd: number, size: bigint) => {
        const f = this.file(fd);
        if (size > MAX_SAFE) return ERRNO.FBIG;
        fs.ftruncateSync(f.hostFd, Number(size));
        return ERRNO.SUCCESS;
      },
      fd_filestat_set_times: (fd: number, atim: bigint, mtim: bigint, fst: number) => {
        const [a, m] = newTimes(atim, mtim, fst);
        const d = this.descriptor(fd);
        if (!('hostFd' in d)) return ERRNO.BADF;
        setTimesFd(d, a, m);
        return ERRNO.SUCCESS;
      },
      fd_prestat_get: (fd: number, out: number) => {
        const d = this.descriptor(fd);
        if (d.kind !== 'dir' || d.preopenName === undefined) return ERRNO.BADF;
        this.view().setUint8(out, 0);
        this.view().setUint32(out + 4, Buffer.byteLength(d.preopenName, 'utf8'), true);
        return ERRNO.SUCCESS;
      },
      fd_prestat_dir_name: (fd: number, buf: number, len: number) => {
        const d = this.descriptor(fd);
        if (d.kind !== 'dir' || d.preopenName === undefined) return ERRNO.NOTDIR;
        const name = encoder.encode(d.preopenName);
        if (name.length > len) return ERRNO.NAMETOOLONG;
        this.bytes('fd_prestat_dir_name', buf, name.length).set(name);
        return ERRNO.SUCCESS;
      },
      fd_readdir: (fd: number, buf: number, len: number, cookie: bigint, out: number) => {
        this.readdir(this.dir(fd), buf, len, BigInt.asUintN(64, cookie), out);
        return ERRNO.SUCCESS;
      },

      path_open: (dirfd: number, lookup: number, p: number, plen: number, oflags: number, rightsBase: bigint, _ri: bigint, fdflags: number, out: number) => {
        if (lookup > LOOKUP_SYMLINK_FOLLOW) invalid('path_open', 'lookupflags', lookup);
        if (oflags > 15) invalid('path_open', 'oflags', oflags);
        if (fdflags > 31) invalid('path_open', 'fdflags', fdflags);
        const path = this.path('path_open', p, plen);
        const d = this.descriptor(dirfd);
        if (d.kind === 'file') return ERRNO.NOTDIR;
        if (d.kind !== 'dir') return ERRNO.BADF;
        const node = openAt(d, path, {
          follow: (lookup & LOOKUP_SYMLINK_FOLLOW) !== 0,
          create: (oflags & OFLAGS.CREAT) !== 0,
          directory: (oflags & OFLAGS.DIRECTORY) !== 0,
          exclusive: (oflags & OFLAGS.EXCL) !== 0,
          truncate: (oflags & OFLAGS.TRUNC) !== 0,
          readRight: (rightsBase & RIGHTS.FD_READ) !== 0n,
          writeRight: (rightsBase & RIGHTS.FD_WRITE) !== 0n,
          append: (fdflags & FDFLAGS.APPEND) !== 0,
          nonblock: (fdflags & FDFLAGS.NONBLOCK) !== 0,
        });
        const fd = this.fds.push(node);
        this.view().setUint32(out, fd, true);
        return ERRNO.SUCCESS;
      },
      path_filestat_get: (dirfd: number, flags: number, p: number, plen: number, out: number) => {
        const dir = this.dir(dirfd);
        const st = statAt(dir, this.path('path_filestat_get', p, plen), (flags & LOOKUP_SYMLINK_FOLLOW) !== 0);
        this.writeFilestat(out, st, filetypeOf(st));
        return ERRNO.SUCCESS;
      },
      path_filestat_set_times: (dirfd: number, flags: number, p: number, plen: number, atim: bigint, mtim: bigint, fst: number) => {
        const [a, m] = newTimes(atim, mtim, fst);
        const dir = this.dir(dirfd);
        setTimesAt(dir, this.path('path_filestat_set_times', p, plen), (flags & LOOKUP_SYMLINK_FOLLOW) !== 0, a, m);
        return ERRNO.SUCCESS;
      },
      path_create_directory: (dirfd: number, p: number, plen: number) => {
        const dir = this.dir(dirfd);
        mkdirAt(dir, this.path('path_create_directory', p, plen));
        return ERRNO.SUCCESS;
      },
      path_unlink_file: (dirfd: number, p: number, plen: number) => {
        const dir = this.dir(dirfd);
        unlinkAt(dir, this.path('path_unlink_file', p, plen));
        return ERRNO.SUCCESS;
      },
      path_remove_directory: (dirfd: number, p: number, plen: number) => {
        const dir = this.dir(dirfd);
        rmdirAt(dir, this.path('path_remove_directory', p, plen));
        return ERRNO.SUCCESS;
      },
      path_rename: (fromfd: number, fp: number, flen: number, tofd: number, tp: number, tlen: number) => {
        const from = this.dir(fromfd);
        const to = this.dir(tofd);
        renameAt(from, this.path('path_rename', fp, flen), to, this.path('path_rename', tp, tlen));
        return ERRNO.SUCCESS;
      },
      path_symlink: (tp: number, tlen: number, dirfd: number, p: number, plen: number) => {
        const dir = this.dir(dirfd);
        symlinkAt(this.path('path_symlink', tp, tlen), dir, this.path('path_symlink', p, plen));
        return ERRNO.SUCCESS;
      },
      path_link: (fromfd: number, flags: number, fp: number, flen: number, tofd: number, tp: number, tlen: number) => {
        const from = this.dir(fromfd);
        const to = this.dir(tofd);
        linkAt(from, this.path('path_link', fp, flen), (flags & LOOKUP_SYMLINK_FOLLOW) !== 0, to, this.path('path_link', tp, tlen));
        return ERRNO.SUCCESS;
      },
      path_readlink: (dirfd: number, p: number, plen: number, buf: number, len: number, out: number) => {
        const dir = this.dir(dirfd);
        const target = readlinkAt(dir, this.path('path_readlink', p, plen));
        const n = Math.min(target.length, len);
        this.bytes('path_readlink', buf, n).set(target.subarray(0, n));
        this.view().setUint32(out, n, true);
        return ERRNO.SUCCESS;
      },

      poll_oneoff: (inPtr: number, outPtr: number, nsubs: number, neventsPtr: number) => this.pollOneoff(inPtr, outPtr, nsubs, neventsPtr),

      // No network capability exists yet: no descriptor is a socket.
      sock_accept: (fd: number) => this.notSocket(fd),
      sock_recv: (fd: number) => this.notSocket(fd),
      sock_send: (fd: number) => this.notSocket(fd),
      sock_shutdown: (fd: number) => this.notSocket(fd),
    };
  }

  private notSocket(fd: number): number {
    this.descriptor(fd);
    return ERRNO.NOTSOCK;
  }

  /**
   * poll_oneoff: fd subscriptions are always ready (our streams never block); with only clock
   * subscriptions the thread sleeps until the earliest one fires. Two passes over the guest's
   * subscriptions, so the host keeps nothing per subscription. The sleep is bounded by the
   * invocation timeout, which terminates the worker.
   */
  private pollOneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
    if (nsubs === 0) return ERRNO.INVAL;
    if (nsubs * (48 + 32) > HOSTCALL_FUEL) return ERRNO.NOMEM;
    this.bytes('poll_oneoff', inPtr, nsubs * 48);
    this.bytes('poll_oneoff', outPtr, nsubs * 32);
    const v = this.view();
    // wasmtime's shortcut for a lone relative clock sleeps whatever the clock is (CPU-time ones too).
    if (nsubs === 1 && v.getUint8(inPtr + 8) === EVENTTYPE.CLOCK && (v.getUint16(inPtr + 40, true) & SUBCLOCK_ABSTIME) === 0) {
      const id = v.getUint32(inPtr + 16, true);
      if (id > CLOCK.THREAD_CPUTIME) invalid('poll_oneoff', 'clockid', id);
      const ms = Number(v.getBigUint64(inPtr + 24, true)) / 1e6;
      if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
      this.writeEvent(outPtr, v.getBigUint64(inPtr, true), EVENTTYPE.CLOCK, 1n, 0);
      v.setUint32(neventsPtr, 1, true);
      return ERRNO.SUCCESS;
    }
    const start = process.hrtime.bigint();
    const realStart = realtimeNs();
    // Pass 1: validate every subscription and find whether any is ready now, else the earliest deadline.
    let anyFd = false;
    let earliest = MAX_U64;
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + i * 48;
      const tag = v.getUint8(s + 8);
      if (tag === EVENTTYPE.CLOCK) {
        const deadline = clockDeadline(v, s, start, realStart);
        if (typeof deadline === 'number') return deadline;
        if (deadline < earliest) earliest = deadline;
      } else if (tag === EVENTTYPE.FD_READ || tag === EVENTTYPE.FD_WRITE) {
        const d = this.fds.get(v.getUint32(s + 16, true));
        const ok = tag === EVENTTYPE.FD_READ ? d?.kind === 'stdin' || d?.kind === 'file' : d?.kind === 'stdout' || d?.kind === 'stderr' || d?.kind === 'file';
        if (!ok) return ERRNO.BADF;
        anyFd = true;
      } else {
        invalid('poll_oneoff', 'eventtype', tag);
      }
    }
    if (!anyFd) {
      const waitNs = earliest - process.hrtime.bigint();
      if (waitNs > 0n) Atomics.wait(sleeper, 0, 0, Number(waitNs) / 1e6);
    }
    // Pass 2: report what is ready, in subscription order.
    const now = process.hrtime.bigint();
    let events = 0;
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + i * 48;
      const tag = v.getUint8(s + 8);
      let nbytes = 0n;
      let flags = 0;
      if (tag === EVENTTYPE.CLOCK) {
        if ((clockDeadline(v, s, start, realStart) as bigint) > now) continue;
      } else {
        const d = this.fds.get(v.getUint32(s + 16, true))!;
        nbytes = 1n;
        if (tag === EVENTTYPE.FD_READ && d.kind === 'file') {
          const st = fs.fstatSync(d.hostFd, { bigint: true });
          if (st.size <= d.position) flags = EVENT_FD_READWRITE_HANGUP;
        }
      }
      this.writeEvent(outPtr + events++ * 32, v.getBigUint64(s, true), tag, nbytes, flags);
    }
    v.setUint32(neventsPtr, events, true);
    return ERRNO.SUCCESS;
  }

  private writeEvent(e: number, userdata: bigint, type: number, nbytes: bigint, flags: number): void {
    const v = this.view();
    v.setBigUint64(e, userdata, true);
    v.setUint16(e + 8, ERRNO.SUCCESS, true);
    v.setUint8(e + 10, type);
    v.setBigUint64(e + 16, nbytes, true);
    v.setUint16(e + 24, flags, true);
  }
}

const DOT = encoder.encode('.');
const DOTDOT = encoder.encode('..');

function realtimeNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function clockResolution(id: number): bigint | Errno {
  if (id === CLOCK.REALTIME) return 1_000_000n;
  if (id === CLOCK.MONOTONIC) return 1n;
  if (id === CLOCK.PROCESS_CPUTIME || id === CLOCK.THREAD_CPUTIME) return ERRNO.BADF;
  return invalid('clock_res_get', 'clockid', id);
}

function clockNow(id: number): bigint | Errno {
  if (id === CLOCK.REALTIME) return realtimeNs();
  if (id === CLOCK.MONOTONIC) return process.hrtime.bigint();
  if (id === CLOCK.PROCESS_CPUTIME || id === CLOCK.THREAD_CPUTIME) return ERRNO.BADF;
  return invalid('clock_time_get', 'clockid', id);
}

/** A flag or enum value outside its witx type: wasmtime traps on it rather than answering. */
function invalid(call: string, type: string, value: number): never {
  throw new WasiTrap(`${call}: expected a valid ${type}, got ${value}`);
}

/** A clock subscription's deadline on the monotonic clock, or INVAL for a clock poll cannot wait on. */
function clockDeadline(v: DataView, s: number, start: bigint, realStart: bigint): bigint | Errno {
  const id = v.getUint32(s + 16, true);
  const timeout = v.getBigUint64(s + 24, true);
  const absolute = (v.getUint16(s + 40, true) & SUBCLOCK_ABSTIME) !== 0;
  if (id === CLOCK.MONOTONIC) return absolute ? timeout : start + timeout;
  if (id === CLOCK.REALTIME) return absolute ? start + (timeout > realStart ? timeout - realStart : 0n) : start + timeout;
  if (id === CLOCK.PROCESS_CPUTIME || id === CLOCK.THREAD_CPUTIME) return ERRNO.INVAL;
  return invalid('poll_oneoff', 'clockid', id);
}

/** The atime/mtime a set_times call asks for; INVAL for a time that is both given and 'now'. */
function newTimes(atim: bigint, mtim: bigint, fst: number): [NewTime, NewTime] {
  if (fst > 15) invalid('set_times', 'fstflags', fst);
  const pick = (set: number, now: number, value: bigint): NewTime => {
    if ((fst & set) !== 0 && (fst & now) !== 0) throw new FsErrno(ERRNO.INVAL);
    return (fst & set) !== 0 ? BigInt.asUintN(64, value) : (fst & now) !== 0 ? 'now' : undefined;
  };
  return [pick(FSTFLAGS.ATIM, FSTFLAGS.ATIM_NOW, atim), pick(FSTFLAGS.MTIM, FSTFLAGS.MTIM_NOW, mtim)];
}

/**
 * One write to a file: at `at`, at the fd's position, or appended. A file opened O_APPEND is
 * appended to by the kernel whatever the position; APPEND set later is emulated at the size.
 */
function writeFile(f: FileHandle, chunk: Uint8Array, at: bigint | undefined): number {
  let pos: bigint | null;
  if (f.openedAppend) pos = null;
  else if (f.append) pos = fs.fstatSync(f.hostFd, { bigint: true }).size;
  else pos = at ?? f.position;
  // Node's writeSync takes a number (a bigint would silently become "the current offset").
  if (pos !== null && pos > MAX_SAFE) throw new FsErrno(ERRNO.FBIG);
  const w = fs.writeSync(f.hostFd, chunk, 0, chunk.length, pos === null ? null : Number(pos));
  if (at === undefined && !f.append) f.position += BigInt(w);
  return w;
}
