/**
 * Runs a function's module through the loading pipeline: memory cache → disk cache → pull →
 * verify → compile. Verification runs every time a module enters a cache: on the pulled copy
 * before it is renamed into the disk cache (a refused module is never cached), and whenever it
 * enters the in-memory cache from disk (offline, from the signatures stored with it); always
 * before compile. A disk entry whose wasm no longer matches its digest is dropped and pulled again once.
 * `prePull` runs only the first half (pull → verify → disk cache) for a module a node may soon need.
 */
import { readFile } from 'node:fs/promises';
import { openLayout, sha256Digest, wasmLayerOf, type CompiledPolicy, type Reference } from '../../artifacts/index.ts';
import type { DiskCache, EvictionGuard } from '../cache/disk-cache.ts';
import type { NodeServices } from '../capabilities/capability.ts';
import { configureCapabilities, type CapabilityConfigs } from '../capabilities/registry.ts';
import { compileModule, type CompiledModule } from '../compile/compile.ts';
import { NodeRuntimeError } from '../errors.ts';
import type { LoadedModule } from '../engine/instances.ts';
import { pullModule, type PullOptions } from '../pull/pull.ts';
import { moduleIdentity, type FunctionDef } from '../resolve/desired-state.ts';
import { verifyModule } from '../verify/verify.ts';

/** What the loader reports (metrics); optional so tests and the CLI can leave it out. */
export interface LoaderEvents {
  cache?(cache: 'memory' | 'disk', result: 'hit' | 'miss'): void;
  pulled?(outcome: string): void;
  signature?(result: string): void;
  stage?(stage: 'pull' | 'verify' | 'compile', seconds: number): void;
}

export interface LoaderOptions {
  /** Disk cache; required for OCI modules. */
  readonly cache?: DiskCache;
  /**
   * Trust policy; required for OCI modules. Empty trusts nothing. A function is read at each
   * verification (cluster mode: the policy ConfigMap as last seen, so an edit applies to the next load).
   */
  readonly policy?: CompiledPolicy | (() => CompiledPolicy);
  readonly pull?: PullOptions;
  readonly events?: LoaderEvents;
  /**
   * What the node lends host capabilities to configure a function (its state store...). A
   * function granted a capability whose service is absent does not load.
   */
  readonly services?: NodeServices;
}

/** What a pre-pull did: already cached, pulled and verified into the cache, or refused for lack of room. */
export type PrePullOutcome = { readonly kind: 'cached' } | { readonly kind: 'pulled' } | { readonly kind: 'noRoom'; readonly bytes: number; readonly wouldEvict: readonly string[] };

export interface FunctionModule {
  readonly moduleId: string;
  readonly loaded: LoadedModule;
}

async function timed<T>(stage: 'pull' | 'verify' | 'compile', events: LoaderEvents | undefined, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    events?.stage?.(stage, (performance.now() - t0) / 1000);
  }
}

export class ModuleLoader {
  private readonly options: LoaderOptions;
  /** Compiled modules by digest and memory limit (the rewrite depends on the limit). */
  private readonly compiled = new Map<string, Promise<CompiledModule>>();
  /** Per FunctionDef object (immutable, replaced on change): its module id and configured capabilities, computed once, not per request. */
  private readonly perFunction = new WeakMap<FunctionDef, { moduleId: string; capabilities: CapabilityConfigs }>();

  constructor(options: LoaderOptions) {
    this.options = options;
  }

  /** The loaded module of a function, compiling (and pulling, verifying) only when needed. */
  async load(fn: FunctionDef): Promise<FunctionModule> {
    const digest = fn.module.kind === 'oci' ? fn.module.digest : `file:${fn.module.path}`;
    const key = `${digest}/${fn.memoryPages}`;
    let compiled = this.compiled.get(key);
    if (compiled) this.options.events?.cache?.('memory', 'hit');
    else {
      this.options.events?.cache?.('memory', 'miss');
      compiled = this.compile(fn);
      this.compiled.set(key, compiled);
      // A failure is not cached: the next request tries again (the registry may be back).
      compiled.catch(() => this.compiled.delete(key));
    }
    const { module, layout } = await compiled;
    let known = this.perFunction.get(fn);
    if (known === undefined) {
      known = { moduleId: moduleIdentity(fn), capabilities: configureCapabilities(fn.key, fn.grants, this.options.services ?? {}) };
      this.perFunction.set(fn, known);
    }
    const { moduleId, capabilities } = known;
    return { moduleId, loaded: { name: fn.key, digest, module, layout, reuse: fn.reuse, capabilities } };
  }

  /** Forgets compiled modules no function uses any more. */
  retain(functions: Iterable<FunctionDef>): void {
    const keep = new Set<string>();
    for (const fn of functions) keep.add(`${fn.module.kind === 'oci' ? fn.module.digest : `file:${fn.module.path}`}/${fn.memoryPages}`);
    for (const k of this.compiled.keys()) if (!keep.has(k)) this.compiled.delete(k);
  }

  private async compile(fn: FunctionDef): Promise<CompiledModule> {
    const bytes = fn.module.kind === 'file' ? await readLocal(fn.module.path) : await this.verifiedBytes(fn, fn.module.digest);
    return timed('compile', this.options.events, () => compileModule(bytes, fn.memoryPages, `function ${fn.key}`));
  }

  /**
   * Puts `fn`'s module in the disk cache, pulled and verified exactly as a load does (a refused
   * module is never cached), without reading it into memory or compiling it; refused rather than
   * evicting an entry `mayEvict` says no to.
   */
  async prePull(fn: FunctionDef, mayEvict: EvictionGuard): Promise<PrePullOutcome> {
    const { cache, policy } = this.sources(fn);
    if (fn.module.kind !== 'oci' || cache.has(fn.module.digest)) return { kind: 'cached' };
    const done = await cache.admitIfRoom(fn.module.digest, this.pullVerified(fn.module, policy), mayEvict);
    return 'admitted' in done ? { kind: 'pulled' } : { kind: 'noRoom', ...done.noRoom };
  }

  /** The disk cache and the trust policy as of now; an OCI module cannot load without both. */
  private sources(fn: FunctionDef): { cache: DiskCache; policy: CompiledPolicy } {
    const { cache } = this.options;
    const policy = typeof this.options.policy === 'function' ? this.options.policy() : this.options.policy;
    if (!cache || !policy) throw new NodeRuntimeError('InvalidArgument', `function ${fn.key}: an OCI module needs a disk cache and a trust policy`);
    return { cache, policy };
  }

  /** The fill of a cache entry: pull, then verify before the rename, so a refused module is never cached. */
  private pullVerified(source: { ref: Reference; digest: string }, policy: CompiledPolicy): (dir: string) => Promise<void> {
    const { events } = this.options;
    return async (dir) => {
      try {
        await timed('pull', events, () => pullModule(source.ref, source.digest, dir, this.options.pull ?? {}));
        events?.pulled?.('Pulled');
      } catch (err) {
        events?.pulled?.(err instanceof NodeRuntimeError ? err.code : 'Error');
        throw err;
      }
      await timed('verify', events, () => verifyModule(dir, source.digest, policy, (result) => events?.signature?.(result)));
    };
  }

  private async verifiedBytes(fn: FunctionDef, digest: string, retried = false): Promise<Uint8Array> {
    const { events } = this.options;
    const { cache, policy } = this.sources(fn);
    if (fn.module.kind !== 'oci') throw new NodeRuntimeError('InvalidArgument', `function ${fn.key}: expected an OCI module, got a file`);
    const verify = (dir: string) => timed('verify', events, () => verifyModule(dir, digest, policy, (result) => events?.signature?.(result)));
    let entry = await cache.get(digest);
    events?.cache?.('disk', entry ? 'hit' : 'miss');
    // Verified when it enters the disk cache (before the rename, so a refused module is never
    // cached) and again whenever it enters memory from the disk cache.
    let verifiedNow = false;
    if (!entry) {
      entry = await cache.admit(digest, this.pullVerified({ ref: fn.module.ref, digest }, policy));
      verifiedNow = true;
    }
    const dir = entry;
    return cache.pin(digest, async () => {
      // Reading runs alongside verification (both only read the entry); the bytes are used only once verified.
      const bytes = readEntryWasm(dir, digest);
      bytes.catch(() => undefined);
      if (!verifiedNow) await verify(dir);
      try {
        return await bytes;
      } catch (err) {
        if (err instanceof NodeRuntimeError && err.code === 'CacheCorrupted' && !retried) {
          await cache.remove(digest);
          return this.verifiedBytes(fn, digest, true);
        }
        throw err;
      }
    });
  }
}

/** Reads the wasm layer of a cache entry and checks it still hashes to its digest. */
export async function readEntryWasm(entryDir: string, digest: string): Promise<Uint8Array> {
  try {
    const layout = await openLayout(entryDir);
    const manifest = await layout.getManifest(digest);
    if (manifest.kind !== 'manifest') throw new Error('expected an image manifest, got an index');
    const layer = wasmLayerOf(manifest.manifest, `cache entry ${digest}`);
    const bytes = new Uint8Array(await readFile(layout.blobPath(layer.digest)));
    const actual = sha256Digest(bytes);
    if (actual !== layer.digest) throw new Error(`wasm layer expected ${layer.digest}, got ${actual}`);
    return bytes;
  } catch (err) {
    throw new NodeRuntimeError('CacheCorrupted', `cache entry ${digest}: ${err instanceof Error ? err.message : String(err)}; the entry is removed and pulled again`, { cause: err });
  }
}

async function readLocal(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new NodeRuntimeError('InvalidArgument', `expected a readable .wasm file, got ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
