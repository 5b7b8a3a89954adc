/**
 * Our WASI preview1 layer (docs/architecture.md, "WASI decision"): a capability-scoped host that
 * grants a module exactly what its spec grants. stdin, stdout and stderr are in-memory streams
 * the engine hands in per invocation; args and env are only those given; the only filesystem is
 * the preopened directories of preopen-fs.ts; no sockets. Every WASI function the module imports
 * and we do not grant answers NOTCAPABLE/NOSYS instead of failing the link, so modules built with
 * any toolchain link and simply see "not permitted".
 *
 * One host serves one instance for its whole life; `begin()` swaps in the next invocation's I/O.
 */
import * as fs from 'node:fs';
import { CLOCK, ERRNO, EVENTTYPE, FDFLAGS, FILETYPE, OFLAGS, RIGHTS_ALL, WASI_MODULE, WasiExit, WHENCE } from './abi.ts';
import { errnoOf, FsErrno, filetypeOf, hostPathOf, openAt, openRoot, requireWritable, resolveInside, type FsNode, type Preopen } from './preopen-fs.ts';
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

type Fd = { readonly kind: 'stdin' } | { readonly kind: 'stdout' } | { readonly kind: 'stderr' } | (FsNode & { readonly preopenName?: string });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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

/** An output that collects up to `limit` bytes and calls `overflow` (which should throw) past it. */
export class CollectingSink implements OutputSink {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  readonly limit: number;
  readonly overflow: () => never;

  constructor(limit: number, overflow: () => never) {
    this.limit = limit;
    this.overflow = overflow;
  }

  write(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.limit) this.overflow();
    this.chunks.push(bytes.slice());
    this.length += bytes.length;
  }

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export class WasiHost {
  private memory: WebAssembly.Memory | undefined;
  private io: WasiIo | undefined;
  private readonly preopens: readonly Preopen[];
  private fds = new Map<number, Fd>();
  private nextFd = 3;

  constructor(preopens: readonly Preopen[] = []) {
    this.preopens = preopens;
  }

  /** Binds the instance's memory (after instantiation). */
  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** Starts an invocation: fresh fd table with stdio and the preopens. */
  begin(io: WasiIo): void {
    this.io = io;
    this.fds = new Map<number, Fd>([[0, { kind: 'stdin' }], [1, { kind: 'stdout' }], [2, { kind: 'stderr' }]]);
    this.nextFd = 3;
    for (const p of this.preopens) this.fds.set(this.nextFd++, { ...openRoot(p), preopenName: p.guestPath });
  }

  /** Ends an invocation: closes every host file the module left open. */
  end(): void {
    for (const fd of this.fds.values()) {
      if ('hostFd' in fd && fd.hostFd !== undefined) fs.closeSync(fd.hostFd);
    }
    this.fds.clear();
    this.io = undefined;
  }

  /** The import object for a module's WASI imports (ungranted names get a NOSYS stub). */
  imports(moduleImports: readonly Import[]): WebAssembly.Imports {
    const table = this.functions();
    const wasi: Record<string, (...args: never[]) => number | void> = {};
    for (const imp of moduleImports) {
      if (imp.module !== WASI_MODULE || imp.kind !== 0) continue;
      const fn = table[imp.name];
      // A pointer outside memory is the module's bug: answer FAULT instead of failing the host call.
      wasi[imp.name] = fn
        ? (...args: never[]) => {
            try {
              return fn(...args);
            } catch (err) {
              if (err instanceof FsErrno) return err.errno;
              throw err;
            }
          }
        : () => ERRNO.NOSYS;
    }
    return { [WASI_MODULE]: wasi };
  }

  private view(): DataView {
    return new DataView(this.memory!.buffer);
  }

  private bytes(ptr: number, len: number): Uint8Array {
    const buffer = this.memory!.buffer;
    if (ptr + len > buffer.byteLength) throw new FsErrno(ERRNO.FAULT);
    return new Uint8Array(buffer, ptr, len);
  }

  private string(ptr: number, len: number): string {
    return decoder.decode(this.bytes(ptr, len));
  }

  /** Writes a list of strings in the argv/environ layout (pointer array + NUL-terminated buffer). */
  private writeStrings(list: readonly string[], ptrs: number, buf: number): number {
    const view = this.view();
    let off = buf;
    list.forEach((s, i) => {
      view.setUint32(ptrs + i * 4, off, true);
      const b = encoder.encode(s);
      this.bytes(off, b.length).set(b);
      view.setUint8(off + b.length, 0);
      off += b.length + 1;
    });
    return ERRNO.SUCCESS;
  }

  private sizes(list: readonly string[], countPtr: number, sizePtr: number): number {
    const view = this.view();
    view.setUint32(countPtr, list.length, true);
    view.setUint32(sizePtr, list.reduce((n, s) => n + encoder.encode(s).length + 1, 0), true);
    return ERRNO.SUCCESS;
  }

  private iovecs(iovs: number, count: number): Uint8Array[] {
    const view = this.view();
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) out.push(this.bytes(view.getUint32(iovs + i * 8, true), view.getUint32(iovs + i * 8 + 4, true)));
    return out;
  }

  private fsNode(fd: number, kind?: 'dir' | 'file'): FsNode {
    const f = this.fds.get(fd);
    if (!f || !('rel' in f)) throw new FsErrno(ERRNO.BADF);
    if (kind === 'dir' && f.kind !== 'dir') throw new FsErrno(ERRNO.NOTDIR);
    if (kind === 'file' && f.kind !== 'file') throw new FsErrno(ERRNO.ISDIR);
    return f;
  }

  /** Runs an fs operation and turns its failure into an errno. */
  private guard(op: () => number | void): number {
    try {
      return op() ?? ERRNO.SUCCESS;
    } catch (err) {
      // Only filesystem failures become an errno; anything else (an exit, an output limit) unwinds the module.
      if (err instanceof FsErrno || (err instanceof Error && 'syscall' in err)) return errnoOf(err);
      throw err;
    }
  }

  private writeFilestat(ptr: number, st: fs.BigIntStats | undefined, filetype: number): void {
    const v = this.view();
    v.setBigUint64(ptr, st?.dev ?? 0n, true);
    v.setBigUint64(ptr + 8, st?.ino ?? 0n, true);
    v.setUint8(ptr + 16, filetype);
    v.setBigUint64(ptr + 24, st?.nlink ?? 1n, true);
    v.setBigUint64(ptr + 32, st?.size ?? 0n, true);
    v.setBigUint64(ptr + 40, st?.atimeNs ?? 0n, true);
    v.setBigUint64(ptr + 48, st?.mtimeNs ?? 0n, true);
    v.setBigUint64(ptr + 56, st?.ctimeNs ?? 0n, true);
  }

  private functions(): Record<string, (...args: never[]) => number | void> {
    const io = () => this.io!;
    return {
      args_sizes_get: (argc: number, size: number) => this.sizes(io().args, argc, size),
      args_get: (argv: number, buf: number) => this.writeStrings(io().args, argv, buf),
      environ_sizes_get: (count: number, size: number) => this.sizes(io().env, count, size),
      environ_get: (environ: number, buf: number) => this.writeStrings(io().env, environ, buf),

      // Realtime and monotonic are granted (language runtimes need them; they reveal no host
      // resource); CPU-time clocks are not.
      clock_res_get: (id: number, out: number) => {
        if (id !== CLOCK.REALTIME && id !== CLOCK.MONOTONIC) return ERRNO.NOTSUP;
        this.view().setBigUint64(out, 1000n, true);
        return ERRNO.SUCCESS;
      },
      clock_time_get: (id: number, _precision: bigint, out: number) => {
        if (id === CLOCK.REALTIME) this.view().setBigUint64(out, BigInt(Date.now()) * 1_000_000n, true);
        else if (id === CLOCK.MONOTONIC) this.view().setBigUint64(out, process.hrtime.bigint(), true);
        else return ERRNO.NOTSUP;
        return ERRNO.SUCCESS;
      },
      random_get: (buf: number, len: number) => {
        for (let off = 0; off < len; off += 65536) crypto.getRandomValues(this.bytes(buf + off, Math.min(65536, len - off)));
        return ERRNO.SUCCESS;
      },
      sched_yield: () => ERRNO.SUCCESS,
      proc_exit: (code: number) => {
        throw new WasiExit(code);
      },
      proc_raise: () => ERRNO.NOTSUP,

      fd_write: (fd: number, iovs: number, count: number, nwritten: number) => this.guard(() => {
        const f = this.fds.get(fd);
        if (!f || f.kind === 'stdin' || f.kind === 'dir') return ERRNO.BADF;
        let n = 0;
        for (const chunk of this.iovecs(iovs, count)) {
          if (f.kind === 'stdout') io().stdout.write(chunk);
          else if (f.kind === 'stderr') io().stderr.write(chunk);
          else {
            if (f.preopen.readOnly) return ERRNO.ROFS;
            const pos = f.append ? null : Number(f.position);
            const w = fs.writeSync(f.hostFd!, chunk, 0, chunk.length, pos);
            if (!f.append) f.position += BigInt(w);
          }
          n += chunk.length;
        }
        this.view().setUint32(nwritten, n, true);
      }),
      fd_read: (fd: number, iovs: number, count: number, nread: number) => this.guard(() => {
        const f = this.fds.get(fd);
        if (!f || f.kind === 'stdout' || f.kind === 'stderr' || f.kind === 'dir') return ERRNO.BADF;
        let n = 0;
        for (const chunk of this.iovecs(iovs, count)) {
          let got: number;
          if (f.kind === 'stdin') got = io().stdin.read(chunk);
          else {
            got = fs.readSync(f.hostFd!, chunk, 0, chunk.length, Number(f.position));
            f.position += BigInt(got);
          }
          n += got;
          if (got < chunk.length) break;
        }
        this.view().setUint32(nread, n, true);
      }),
      fd_pread: (fd: number, iovs: number, count: number, offset: bigint, nread: number) => this.guard(() => {
        const f = this.fsNode(fd, 'file');
        let n = 0;
        let pos = Number(offset);
        for (const chunk of this.iovecs(iovs, count)) {
          const got = fs.readSync(f.hostFd!, chunk, 0, chunk.length, pos);
          n += got;
          pos += got;
          if (got < chunk.length) break;
        }
        this.view().setUint32(nread, n, true);
      }),
      fd_seek: (fd: number, offset: bigint, whence: number, out: number) => this.guard(() => {
        const f = this.fds.get(fd);
        if (!f) return ERRNO.BADF;
        if (!('rel' in f)) return ERRNO.SPIPE;
        if (f.kind !== 'file') return ERRNO.ISDIR;
        let base = 0n;
        if (whence === WHENCE.CUR) base = f.position;
        else if (whence === WHENCE.END) base = fs.fstatSync(f.hostFd!, { bigint: true }).size;
        else if (whence !== WHENCE.SET) return ERRNO.INVAL;
        const next = base + offset;
        if (next < 0n) return ERRNO.INVAL;
        f.position = next;
        this.view().setBigUint64(out, next, true);
      }),
      fd_tell: (fd: number, out: number) => this.guard(() => {
        const f = this.fsNode(fd, 'file');
        this.view().setBigUint64(out, f.position, true);
      }),
      fd_close: (fd: number) => this.guard(() => {
        const f = this.fds.get(fd);
        if (!f) return ERRNO.BADF;
        if ('hostFd' in f && f.hostFd !== undefined) fs.closeSync(f.hostFd);
        this.fds.delete(fd);
      }),
      fd_sync: (fd: number) => this.guard(() => { this.fsNode(fd); }),
      fd_datasync: (fd: number) => this.guard(() => { this.fsNode(fd); }),
      fd_advise: (fd: number) => this.guard(() => { this.fsNode(fd); }),
      fd_fdstat_get: (fd: number, out: number) => {
        const f = this.fds.get(fd);
        if (!f) return ERRNO.BADF;
        const v = this.view();
        const type = 'rel' in f ? (f.kind === 'dir' ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE) : FILETYPE.CHARACTER_DEVICE;
        v.setUint8(out, type);
        v.setUint16(out + 2, 'rel' in f && f.append ? FDFLAGS.APPEND : 0, true);
        v.setBigUint64(out + 8, RIGHTS_ALL, true);
        v.setBigUint64(out + 16, RIGHTS_ALL, true);
        return ERRNO.SUCCESS;
      },
      fd_fdstat_set_flags: (fd: number) => (this.fds.has(fd) ? ERRNO.SUCCESS : ERRNO.BADF),
      fd_filestat_get: (fd: number, out: number) => this.guard(() => {
        const f = this.fds.get(fd);
        if (!f) return ERRNO.BADF;
        if (!('rel' in f)) return this.writeFilestat(out, undefined, FILETYPE.CHARACTER_DEVICE);
        const st = f.hostFd !== undefined ? fs.fstatSync(f.hostFd, { bigint: true }) : fs.statSync(hostPathOf(f), { bigint: true });
        this.writeFilestat(out, st, filetypeOf(st as unknown as fs.Stats));
      }),
      fd_filestat_set_size: (fd: number, size: bigint) => this.guard(() => {
        const f = this.fsNode(fd, 'file');
        requireWritable(f);
        fs.ftruncateSync(f.hostFd!, Number(size));
      }),
      fd_prestat_get: (fd: number, out: number) => {
        const f = this.fds.get(fd);
        if (!f || !('preopenName' in f) || f.preopenName === undefined) return ERRNO.BADF;
        this.view().setUint8(out, 0);
        this.view().setUint32(out + 4, encoder.encode(f.preopenName).length, true);
        return ERRNO.SUCCESS;
      },
      fd_prestat_dir_name: (fd: number, buf: number, len: number) => {
        const f = this.fds.get(fd);
        if (!f || !('preopenName' in f) || f.preopenName === undefined) return ERRNO.BADF;
        const name = encoder.encode(f.preopenName);
        if (len < name.length) return ERRNO.NAMETOOLONG;
        this.bytes(buf, name.length).set(name);
        return ERRNO.SUCCESS;
      },
      fd_readdir: (fd: number, buf: number, len: number, cookie: bigint, out: number) => this.guard(() => {
        const dir = this.fsNode(fd, 'dir');
        const entries = fs.readdirSync(hostPathOf(dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
        const all: { name: string; type: number }[] = [{ name: '.', type: FILETYPE.DIRECTORY }, { name: '..', type: FILETYPE.DIRECTORY }];
        for (const e of entries) all.push({ name: e.name, type: e.isDirectory() ? FILETYPE.DIRECTORY : e.isFile() ? FILETYPE.REGULAR_FILE : e.isSymbolicLink() ? FILETYPE.SYMBOLIC_LINK : FILETYPE.UNKNOWN });
        // dirent: d_next u64, d_ino u64, d_namlen u32, d_type u8 (24 bytes), then the name; truncated at `len`.
        const target = this.bytes(buf, len);
        let used = 0;
        for (let i = Number(cookie); i < all.length && used < len; i++) {
          const e = all[i]!;
          const name = encoder.encode(e.name);
          const rec = new Uint8Array(24 + name.length);
          const dv = new DataView(rec.buffer);
          dv.setBigUint64(0, BigInt(i + 1), true);
          dv.setUint32(16, name.length, true);
          dv.setUint8(20, e.type);
          rec.set(name, 24);
          const n = Math.min(rec.length, len - used);
          target.set(rec.subarray(0, n), used);
          used += n;
        }
        this.view().setUint32(out, used, true);
      }),
      fd_renumber: (from: number, to: number) => {
        const f = this.fds.get(from);
        if (!f || !this.fds.has(to)) return ERRNO.BADF;
        this.fds.set(to, f);
        this.fds.delete(from);
        return ERRNO.SUCCESS;
      },

      path_open: (dirfd: number, _lookup: number, p: number, plen: number, oflags: number, rightsBase: bigint, _ri: bigint, fdflags: number, out: number) => this.guard(() => {
        const dir = this.fsNode(dirfd, 'dir');
        // fd_write (bit 6) in the requested rights means the module wants to write.
        const write = (rightsBase & (1n << 6n)) !== 0n;
        const node = openAt(dir, this.string(p, plen), {
          create: (oflags & OFLAGS.CREAT) !== 0,
          directory: (oflags & OFLAGS.DIRECTORY) !== 0,
          exclusive: (oflags & OFLAGS.EXCL) !== 0,
          truncate: (oflags & OFLAGS.TRUNC) !== 0,
          write,
          append: (fdflags & FDFLAGS.APPEND) !== 0,
        });
        const fd = this.nextFd++;
        this.fds.set(fd, node);
        this.view().setUint32(out, fd, true);
      }),
      path_filestat_get: (dirfd: number, _flags: number, p: number, plen: number, out: number) => this.guard(() => {
        const { host } = resolveInside(this.fsNode(dirfd, 'dir'), this.string(p, plen));
        const st = fs.statSync(host, { bigint: true });
        this.writeFilestat(out, st, filetypeOf(st as unknown as fs.Stats));
      }),
      path_create_directory: (dirfd: number, p: number, plen: number) => this.guard(() => {
        const dir = this.fsNode(dirfd, 'dir');
        requireWritable(dir);
        fs.mkdirSync(resolveInside(dir, this.string(p, plen)).host);
      }),
      path_unlink_file: (dirfd: number, p: number, plen: number) => this.guard(() => {
        const dir = this.fsNode(dirfd, 'dir');
        requireWritable(dir);
        fs.unlinkSync(resolveInside(dir, this.string(p, plen)).host);
      }),
      path_remove_directory: (dirfd: number, p: number, plen: number) => this.guard(() => {
        const dir = this.fsNode(dirfd, 'dir');
        requireWritable(dir);
        fs.rmdirSync(resolveInside(dir, this.string(p, plen)).host);
      }),
      path_rename: (fromfd: number, fp: number, flen: number, tofd: number, tp: number, tlen: number) => this.guard(() => {
        const from = this.fsNode(fromfd, 'dir');
        const to = this.fsNode(tofd, 'dir');
        requireWritable(from);
        requireWritable(to);
        fs.renameSync(resolveInside(from, this.string(fp, flen)).host, resolveInside(to, this.string(tp, tlen)).host);
      }),

      poll_oneoff: (inPtr: number, outPtr: number, nsubs: number, neventsPtr: number) => this.pollOneoff(inPtr, outPtr, nsubs, neventsPtr),

      // No network capability exists yet: sockets are never granted.
      sock_accept: () => ERRNO.NOTCAPABLE,
      sock_recv: () => ERRNO.NOTCAPABLE,
      sock_send: () => ERRNO.NOTCAPABLE,
      sock_shutdown: () => ERRNO.NOTCAPABLE,
    };
  }

  /**
   * poll_oneoff: fd subscriptions are always ready (our streams never block); with only clock
   * subscriptions the thread sleeps until the earliest one fires. The sleep is bounded by the
   * invocation timeout, which terminates the worker.
   */
  private pollOneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
    const v = this.view();
    let events = 0;
    let earliest: { userdata: bigint; timeoutNs: bigint } | undefined;
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + i * 48;
      const userdata = v.getBigUint64(s, true);
      const tag = v.getUint8(s + 8);
      if (tag === EVENTTYPE.CLOCK) {
        const id = v.getUint32(s + 16, true);
        let timeout = v.getBigUint64(s + 24, true);
        if ((v.getUint16(s + 40, true) & 1) !== 0) {
          const now = id === CLOCK.REALTIME ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
          timeout = timeout > now ? timeout - now : 0n;
        }
        if (!earliest || timeout < earliest.timeoutNs) earliest = { userdata, timeoutNs: timeout };
      } else {
        const e = outPtr + events++ * 32;
        v.setBigUint64(e, userdata, true);
        v.setUint16(e + 8, this.fds.has(v.getUint32(s + 16, true)) ? ERRNO.SUCCESS : ERRNO.BADF, true);
        v.setUint8(e + 10, tag);
        v.setBigUint64(e + 16, 0n, true);
        v.setUint16(e + 24, 0, true);
      }
    }
    if (events === 0 && earliest) {
      const ms = Number(earliest.timeoutNs / 1_000_000n);
      if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
      const e = outPtr;
      v.setBigUint64(e, earliest.userdata, true);
      v.setUint16(e + 8, ERRNO.SUCCESS, true);
      v.setUint8(e + 10, EVENTTYPE.CLOCK);
      events = 1;
    }
    v.setUint32(neventsPtr, events, true);
    return ERRNO.SUCCESS;
  }
}
