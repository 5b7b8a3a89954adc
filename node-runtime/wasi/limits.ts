/**
 * Host-side bounds on what a guest chooses in a WASI call. Each answers with the errno a POSIX
 * system (and wasmtime) gives for it, so the module sees a failed call, never a host that grew
 * without bound. Work per call is then bounded by these; time by the invocation timeout.
 */

/**
 * Bytes of guest memory one call may make the host walk or copy (an iovec array and the buffers it
 * names, a path, poll subscriptions and their events). wasmtime's default hostcall fuel, with its
 * answer past it: NOMEM.
 */
export const HOSTCALL_FUEL = 128 << 20;

/** Open descriptors of one instance, stdio and preopens included; past it path_open answers MFILE. */
export const MAX_OPEN_FDS = 1024;

/** Longest path a call may pass, in bytes (Linux PATH_MAX); longer answers NAMETOOLONG. */
export const MAX_PATH_BYTES = 4096;

/** Symlinks followed while resolving one path (Linux MAXSYMLINKS); one more answers LOOP. */
export const MAX_SYMLINKS = 40;

/** A call's pointer or length that lies outside the module's memory: a trap, as wasmtime does. */
export class WasiTrap extends Error {}
