/**
 * The embedded store: one file per key under the function's directory, synchronous so a host import
 * answers while the guest waits. Crash-safe: a write goes to a temp file, is fsynced, renamed over
 * the key's file and the directory fsynced, so a key holds its old or its new value, never a torn one.
 * Several worker threads may share a directory: each write is one atomic rename.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { decodeKey, encodeKey, KvError } from './abi.ts';
import { open, seal } from './envelope.ts';
import type { SyncKvStore } from './store.ts';

const HEX = /^[0-9a-f]+$/;

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function wrap<T>(what: string, op: () => T): T {
  try {
    return op();
  } catch (err) {
    if (err instanceof KvError) throw err;
    throw new KvError('Unavailable', `state store: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export class DiskKvStore implements SyncKvStore {
  private readonly dir: string;
  private readonly now: () => number;
  private made = false;

  constructor(dir: string, now: () => number = Date.now) {
    this.dir = dir;
    this.now = now;
  }

  get(key: string): Uint8Array | undefined {
    return wrap('get', () => this.read(encodeKey(key)));
  }

  set(key: string, value: Uint8Array, ttlSeconds: number): void {
    wrap('set', () => {
      this.ensureDir();
      const tmp = join(this.dir, `.tmp-${randomBytes(8).toString('hex')}`);
      const fd = openSync(tmp, 'w', 0o600);
      try {
        const record = seal(value, ttlSeconds, this.now());
        writeSync(fd, record, 0, record.length);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.dir, encodeKey(key)));
      fsyncPath(this.dir, 'r');
    });
  }

  delete(key: string): void {
    wrap('delete', () => {
      rmSync(join(this.dir, encodeKey(key)), { force: true });
    });
  }

  list(prefix: string): string[] {
    return wrap('list', () => {
      let names: string[];
      try {
        names = readdirSync(this.dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const hexPrefix = prefix ? encodeKey(prefix) : '';
      return names.filter((n) => HEX.test(n) && n.startsWith(hexPrefix) && this.read(n) !== undefined).map(decodeKey);
    });
  }

  private read(file: string): Uint8Array | undefined {
    let record: Uint8Array;
    try {
      record = readFileSync(join(this.dir, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const value = open(record, this.now());
    // Expired: drop the file so the directory does not fill up with dead keys.
    if (value === undefined) rmSync(join(this.dir, file), { force: true });
    return value;
  }

  private ensureDir(): void {
    if (this.made) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.made = true;
  }
}
