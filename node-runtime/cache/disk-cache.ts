/**
 * The node's module cache on disk: one entry per manifest digest, each a small OCI image layout
 * (manifest, config, wasm layer and the signatures that came with it), so a cached module can be
 * verified again offline every time it enters memory.
 *
 * Crash safety: an entry is filled under a temporary name, its files fsynced, and renamed into
 * place as a whole (rename is atomic on one filesystem), then the cache directory itself is
 * fsynced (the rename; not the other entries, which are durable since their own admission). A
 * crash leaves either no entry or a complete one; leftovers of unfinished fills are removed on
 * open. The size bound is kept by evicting the least recently used entries after each admission;
 * entries in use are kept. Reading writes nothing: the LRU order lives in memory, and a restart
 * starts from the order of admission (the entries' mtimes, set once by the rename).
 * A guarded admission (admitIfRoom, the pre-pull of dormant modules) refuses instead of evicting an
 * entry its guard wants kept, and its entry counts as the least recently used until it is read: a
 * speculative fill never pushes out modules the node runs, not even through a later admission.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest } from '../../api/digest.ts';
import { NodeRuntimeError } from '../errors.ts';

const TEMP_PREFIX = '.fill-';

export interface DiskCacheEvents {
  evicted?(digest: string, bytes: number): void;
}

interface Entry {
  bytes: number;
  /** Position in the use order (higher: used more recently); 0 for a speculative entry not read yet. */
  lastUsed: number;
}

/** What a guarded admission did: the entry is in place, or it was refused, with the entries its guard keeps that it would have had to evict. */
export type Admission = { readonly admitted: string } | { readonly noRoom: { readonly bytes: number; readonly wouldEvict: readonly string[] } };

/** Which entries an admission may evict (false: refuse the admission rather than evict it). */
export type EvictionGuard = (digest: string) => boolean;

async function sizeOf(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path)) total += await sizeOf(join(path, name));
  return total;
}

/** fsyncs `path` and, for a directory, everything under it. */
async function fsyncTree(path: string): Promise<void> {
  const st = await stat(path);
  if (st.isDirectory()) for (const name of await readdir(path)) await fsyncTree(join(path, name));
  await fsyncOne(path);
}

async function fsyncOne(path: string): Promise<void> {
  const h = await open(path, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** An entry's directory name: its digest with `-` for `:` (a colon is awkward in a file name). */
function entryName(digest: string): string {
  if (!isDigest(digest)) throw new NodeRuntimeError('InvalidArgument', `expected a digest sha256:<64 hex>, got ${JSON.stringify(digest)}`);
  return digest.replace(':', '-');
}

/** The digest an entry directory holds, or undefined for a name that is no entry. */
function entryDigest(name: string): string | undefined {
  const digest = name.replace('-', ':');
  return isDigest(digest) ? digest : undefined;
}

export class DiskCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly events: DiskCacheEvents;
  private readonly entries = new Map<string, Entry>();
  private readonly pinned = new Map<string, number>();
  /** Admissions in progress: a second admit of the same digest waits for the first. */
  private readonly admitting = new Map<string, Promise<Admission>>();
  /** The use order's clock (Entry.lastUsed). */
  private uses = 0;

  private constructor(dir: string, maxBytes: number, events: DiskCacheEvents) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.events = events;
  }

  /** Opens (creating) a cache directory, dropping unfinished fills and indexing what is there. */
  static async open(dir: string, maxBytes: number, events: DiskCacheEvents = {}): Promise<DiskCache> {
    if (!(maxBytes > 0)) throw new NodeRuntimeError('InvalidArgument', `expected a cache size > 0 bytes, got ${maxBytes}`);
    await mkdir(dir, { recursive: true });
    const cache = new DiskCache(dir, maxBytes, events);
    const found: [string, Entry, number][] = [];
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      if (name.startsWith(TEMP_PREFIX)) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      const digest = entryDigest(name);
      if (digest === undefined) continue;
      const st = await stat(path);
      found.push([digest, { bytes: await sizeOf(path), lastUsed: 0 }, st.mtimeMs]);
    }
    for (const [digest, entry] of found.sort((a, b) => a[2] - b[2])) cache.entries.set(digest, { ...entry, lastUsed: ++cache.uses });
    return cache;
  }

  /** Total bytes of all entries. */
  get bytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.bytes;
    return n;
  }

  has(digest: string): boolean {
    return this.entries.has(digest);
  }

  /** Directory of an entry, marking it used (LRU, in memory only). Undefined when not cached. */
  get(digest: string): string | undefined {
    const e = this.entries.get(digest);
    if (!e) return undefined;
    e.lastUsed = ++this.uses;
    return join(this.dir, entryName(digest));
  }

  /** Keeps an entry from eviction while `use` runs (e.g. while it is read and compiled). */
  async pin<T>(digest: string, use: () => Promise<T>): Promise<T> {
    this.pinned.set(digest, (this.pinned.get(digest) ?? 0) + 1);
    try {
      return await use();
    } finally {
      const n = (this.pinned.get(digest) ?? 1) - 1;
      if (n <= 0) this.pinned.delete(digest);
      else this.pinned.set(digest, n);
    }
  }

  /**
   * Adds an entry: `fill(tempDir)` writes it, then it is fsynced and renamed into place. Returns
   * the entry directory. An entry larger than the whole cache is refused.
   */
  async admit(digest: string, fill: (tempDir: string) => Promise<void>): Promise<string> {
    // Joins an admission of the same digest in progress; a guarded one may be refused, then this one goes ahead.
    for (let running = this.admitting.get(digest); running; running = this.admitting.get(digest)) {
      const joined = await running;
      if ('admitted' in joined) return joined.admitted;
    }
    const done = await this.start(digest, fill, undefined);
    if ('admitted' in done) return done.admitted;
    throw new Error(`unreachable: an unguarded admission of ${digest} was refused`);
  }

  /**
   * Like admit, but making room only with entries `mayEvict` allows (least recently used first),
   * refused (nothing kept) when those are not enough. The size is known only once filled, so a refused fill has been downloaded for nothing:
   * `evictionsFor` answers first for a size already learnt.
   */
  admitIfRoom(digest: string, fill: (tempDir: string) => Promise<void>, mayEvict: EvictionGuard): Promise<Admission> {
    return this.admitting.get(digest) ?? this.start(digest, fill, mayEvict);
  }

  /**
   * The entries admitting `bytes` more would evict now (never `keep` nor pinned ones): those
   * `mayEvict` allows first, least recently used first, then the others it would also take.
   */
  evictionsFor(bytes: number, keep?: string, mayEvict: EvictionGuard = () => true): string[] {
    let total = this.bytes + bytes;
    const out: string[] = [];
    if (total <= this.maxBytes) return out;
    const candidates = [...this.entries].filter(([d]) => d !== keep && !this.pinned.has(d)).sort((x, y) => x[1].lastUsed - y[1].lastUsed);
    for (const [digest, e] of [...candidates.filter(([d]) => mayEvict(d)), ...candidates.filter(([d]) => !mayEvict(d))]) {
      if (total <= this.maxBytes) break;
      total -= e.bytes;
      out.push(digest);
    }
    return out;
  }

  /** `mayEvict` undefined: an admission of an entry needed now, free to evict anything not pinned. */
  private start(digest: string, fill: (tempDir: string) => Promise<void>, mayEvict: EvictionGuard | undefined): Promise<Admission> {
    const admission = this.fillAndRename(digest, fill, mayEvict).finally(() => this.admitting.delete(digest));
    this.admitting.set(digest, admission);
    return admission;
  }

  private async fillAndRename(digest: string, fill: (tempDir: string) => Promise<void>, mayEvict: EvictionGuard | undefined): Promise<Admission> {
    const final = join(this.dir, entryName(digest));
    const temp = join(this.dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    await mkdir(temp);
    try {
      await fill(temp);
      await fsyncTree(temp);
      const bytes = await sizeOf(temp);
      if (bytes > this.maxBytes) {
        throw new NodeRuntimeError('ModulePullFailed', `module ${digest}: expected at most ${this.maxBytes} bytes (the cache size), got ${bytes}; raise the node's cache size`);
      }
      const blocking = mayEvict ? this.evictionsFor(bytes, digest, mayEvict).filter((d) => !mayEvict(d)) : [];
      if (blocking.length > 0) return { noRoom: { bytes, wouldEvict: blocking } };
      await rm(final, { recursive: true, force: true });
      await rename(temp, final);
      await fsyncOne(this.dir).catch(() => undefined);
      // A guarded (speculative) entry goes first when room is needed, until a read marks it used.
      this.entries.set(digest, { bytes, lastUsed: mayEvict ? 0 : ++this.uses });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    await this.evict(digest, mayEvict);
    return { admitted: final };
  }

  /** Removes an entry (e.g. its content no longer matches its digest). */
  async remove(digest: string): Promise<void> {
    const e = this.entries.get(digest);
    this.entries.delete(digest);
    await rm(join(this.dir, entryName(digest)), { recursive: true, force: true });
    if (e) this.events.evicted?.(digest, e.bytes);
  }

  /** Evicts least recently used entries (those `mayEvict` allows first) until the cache fits, never `keep` nor pinned ones. */
  private async evict(keep: string, mayEvict?: EvictionGuard): Promise<void> {
    for (const digest of this.evictionsFor(0, keep, mayEvict)) await this.remove(digest);
  }
}
