/** WASI preview1 constants (witx `wasi_snapshot_preview1`): errno values, file types, struct sizes. */

export const WASI_MODULE = 'wasi_snapshot_preview1';

export const ERRNO = {
  SUCCESS: 0, ACCES: 2, BADF: 8, EXIST: 20, FAULT: 21, INVAL: 28, IO: 29, ISDIR: 31, NAMETOOLONG: 37,
  NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSUP: 58, PERM: 63, ROFS: 69, SPIPE: 70, NOTCAPABLE: 76,
} as const;

export const FILETYPE = { UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4, SYMBOLIC_LINK: 7 } as const;

export const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 } as const;

export const WHENCE = { SET: 0, CUR: 1, END: 2 } as const;

export const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;

export const FDFLAGS = { APPEND: 1 } as const;

/** Rights bits we report; we enforce read-only mounts on the operation, not through rights. */
export const RIGHTS_ALL = 0x1fffffffn;

export const EVENTTYPE = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;

/** Thrown by proc_exit to unwind the module; carries the exit code. Not a failure. */
export class WasiExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`proc_exit(${code})`);
    this.code = code;
  }
}
