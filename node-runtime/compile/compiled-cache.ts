/**
 * Compiled modules kept in memory, least recently used first out, bounded in bytes: a function
 * scaled to zero (or whose compiled module was pushed out) comes back without pulling, verifying
 * or compiling again. A compiled module is counted at the size of its wasm binary, about what V8
 * keeps for it (docs/performance.md, "Density").
 */
import type { CompiledModule } from './compile.ts';

interface Kept {
  readonly compiled: CompiledModule;
  readonly bytes: number;
}

export class CompiledCache {
  readonly maxBytes: number;
  private readonly kept = new Map<string, Kept>();
  private total = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes of the modules kept. */
  get bytes(): number {
    return this.total;
  }

  /** The compiled module under `key`, marking it used. */
  get(key: string): CompiledModule | undefined {
    const k = this.kept.get(key);
    if (!k) return undefined;
    // A Map iterates in insertion order: re-inserting makes it the most recently used.
    this.kept.delete(key);
    this.kept.set(key, k);
    return k.compiled;
  }

  /** Whether `bytes` more fit without evicting anything. */
  fits(bytes: number): boolean {
    return this.total + bytes <= this.maxBytes;
  }

  /** Keeps a compiled module, evicting the least recently used ones beyond the bound (one larger than the bound is not kept). */
  set(key: string, compiled: CompiledModule, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.kept.set(key, { compiled, bytes });
    this.total += bytes;
    for (const [oldest] of this.kept) {
      if (this.total <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  /** Forgets every module whose key is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of [...this.kept.keys()]) if (!keep.has(key)) this.delete(key);
  }

  private delete(key: string): void {
    const k = this.kept.get(key);
    if (!k) return;
    this.kept.delete(key);
    this.total -= k.bytes;
  }
}
