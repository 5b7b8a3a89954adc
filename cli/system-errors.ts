// Operating-system errors a user causes and can fix (a missing file, a taken port, a refused
// connection), as one line naming what failed and the fix, instead of an internal error's trace.

/** The CLI's code for a system error, with the message it prints. */
export interface SystemErrorLine {
  readonly code: 'FileNotFound' | 'PermissionDenied' | 'AddressInUse' | 'AddressNotAvailable' | 'ConnectionRefused' | 'NotADirectory' | 'IsADirectory';
  readonly message: string;
}

interface ErrnoLike {
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly path?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
}

/** The one-line form of a Node system error (ENOENT, EACCES, EADDRINUSE, ...), or undefined for any other error. */
export function describeSystemError(err: unknown): SystemErrorLine | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ErrnoLike;
  const path = typeof e.path === 'string' ? e.path : undefined;
  const where = typeof e.address === 'string' ? `${e.address.includes(':') ? `[${e.address}]` : e.address}${typeof e.port === 'number' ? `:${e.port}` : ''}` : undefined;
  switch (e.code) {
    case 'ENOENT':
      return path !== undefined ? { code: 'FileNotFound', message: `${path}: no such file or directory; check the path (relative paths start at ${process.cwd()})` } : undefined;
    case 'EACCES':
    case 'EPERM':
      if (path !== undefined) return { code: 'PermissionDenied', message: `${path}: permission denied; check its owner and mode, or choose another path` };
      return where !== undefined ? { code: 'PermissionDenied', message: `${where}: permission denied to listen there; ports below 1024 need privileges: choose a port >= 1024` } : undefined;
    case 'ENOTDIR':
      return path !== undefined ? { code: 'NotADirectory', message: `${path}: a part of this path is a file, not a directory; fix the path` } : undefined;
    case 'EISDIR':
      return path !== undefined ? { code: 'IsADirectory', message: `${path}: is a directory, expected a file; name the file inside it` } : undefined;
    case 'EADDRINUSE':
      return where !== undefined ? { code: 'AddressInUse', message: `${where}: address already in use by another process; stop it, or pick another port (0 picks a free one)` } : undefined;
    case 'EADDRNOTAVAIL':
      return where !== undefined ? { code: 'AddressNotAvailable', message: `${where}: no network interface has this address; use one of this host's addresses, 127.0.0.1 or 0.0.0.0` } : undefined;
    case 'ECONNREFUSED':
      return where !== undefined ? { code: 'ConnectionRefused', message: `${where}: connection refused; is the server running there, and is the address right?` } : undefined;
    default:
      return undefined;
  }
}
