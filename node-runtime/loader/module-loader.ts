/**
 * Runs a function's module through the loading pipeline: compiled-module cache → disk cache →
 * pull → verify → compile. A module is verified once per process and trust policy (VerifiedSet):
 * on the pulled copy before it is renamed into the disk cache (a refused module is never cached),
 * or, for an entry found on disk (after a restart), the first time it is read. Every read of the
 * wasm layer re-hashes it against the digest its verified manifest names: an entry that no longer
 * matches is dropped and pulled again once, never run. Compiled modules outlive the functions that
 * use them in a bounded LRU (CompiledCache), so a function scaled to zero wakes without any of it.
 *
 * Every load runs under the node's bound (loadTimeoutMs) and a request waits for it only until
 * its own deadline: then it gets a Timeout naming the stage the load is in, while the load goes
 * on (a later request joins it).
 *
 * Compile policy: a function placed here (`prepare`) or held dormant (`prePull`) is pulled and
 * verified at once, and compiled too when its module fits the compiled cache without pushing
 * another out; otherwise it compiles on its first request. A node with a few functions has them
 * all compiled before traffic; one with ten thousand keeps memory for those in use.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readLayout, VerifyError, wasmLayerOf, type CompiledPolicy, type OciLayoutStore, type Reference, type VerifiedSignature } from '../../artifacts/index.ts';
import type { DiskCache, EvictionGuard } from '../cache/disk-cache.ts';
import type { NodeServices } from '../capabilities/capability.ts';
import { configureCapabilities, type CapabilityConfigs } from '../capabilities/registry.ts';
import { compileModule, type CompiledModule } from '../compile/compile.ts';
import { CompiledCache } from '../compile/compiled-cache.ts';
import { NodeRuntimeError } from '../errors.ts';
import type { LoadedModule } from '../engine/instances.ts';
import { pullModule, type PullOptions } from '../pull/pull.ts';
import { moduleIdentity, type FunctionDef } from '../resolve/desired-state.ts';
import { policyFingerprint, VerifiedSet, verifyModule, type VerifiedModule } from '../verify/verify.ts';

/** The stages of a load, as a request that gave up on it names them. */
export type LoadStage = 'pull' | 'verify' | 'read' | 'compile';

/** What the loader reports (metrics); optional so tests and the CLI can leave it out. */
export interface LoaderEvents {
  /** memory: compiled modules; disk: cache entries; verified: modules verified already in this process (no signature check). */
  cache?(cache: 'memory' | 'disk' | 'verified', result: 'hit' | 'miss'): void;
  pulled?(outcome: string): void;
  /** A signature check of `digest`: Verified (with the signatures that held) or the VerifyError code. */
  signature?(result: string, digest: string, signers?: readonly VerifiedSignature[]): void;
  stage?(stage: 'pull' | 'verify' | 'compile', seconds: number): void;
}

export const LOADER_DEFAULTS = {
  /** Compiled modules kept, counted at their wasm size: a few thousand small functions. */
  compiledCacheBytes: 256 << 20,
  /** A registry that stalls is cut by the registry client after 30 s of silence; a whole load gets twice that. */
  loadTimeoutMs: 60_000,
} as const;

export interface LoaderOptions {
  /** Disk cache; required for OCI modules. */
  readonly cache?: DiskCache;
  /**
   * Trust policy; required for OCI modules. Empty trusts nothing. A function is read at each
   * load (cluster mode: the policy ConfigMap as last seen, so an edit applies to the next load).
   */
  readonly policy?: CompiledPolicy | (() => CompiledPolicy);
  readonly pull?: PullOptions;
  readonly events?: LoaderEvents;
  /**
   * What the node lends host capabilities to configure a function (its state store...). A
   * function granted a capability whose service is absent does not load.
   */
  readonly services?: NodeServices;
  /** Bytes of compiled modules kept in memory (counted at their wasm size). @default 256 MiB */
  readonly compiledCacheBytes?: number;
  /** Longest one load (pull + verify + compile) runs, whoever waits for it. @default 60 s */
  readonly loadTimeoutMs?: number;
  /** Where `loadTimeoutMs` is set, for its error message. @default "the loader's loadTimeoutMs" */
  readonly loadTimeoutSetBy?: string;
}

/** A request's deadline for a load, and what set it (named in the error). */
export interface LoadDeadline {
  /** ms since epoch */
  readonly atMs: number;
  readonly limitMs: number;
  /** e.g. "WasmFunction spec.limits.timeoutMs" */
  readonly setBy: string;
}

/** What a pre-pull did: already cached, pulled and verified into the cache, or refused for lack of room. */
export type PrePullOutcome = { readonly kind: 'cached' } | { readonly kind: 'pulled' } | { readonly kind: 'noRoom'; readonly bytes: number; readonly wouldEvict: readonly string[] };

export interface FunctionModule {
  readonly moduleId: string;
  readonly loaded: LoadedModule;
}

/** A load in progress: the stage it is in now, for whoever gives up waiting. */
interface Progress {
  stage: LoadStage;
}

async function timed<T>(stage: 'pull' | 'verify' | 'compile', events: LoaderEvents | undefined, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    events?.stage?.(stage, (performance.now() - t0) / 1000);
  }
}

/** Placements prepared at once (pull, verify, maybe compile): enough to overlap I/O with CPU on a small node. */
const PREPARE_CONCURRENCY = 4;

/** Compiled modules by digest and memory limit (the rewrite depends on the limit). */
function compiledKey(fn: FunctionDef): string {
  return `${fn.module.kind === 'oci' ? fn.module.digest : `file:${fn.module.path}`}/${fn.memoryPages}`;
}

/** `work` rejected with a Timeout after `ms` (`work` itself goes on, its result unused). */
function within<T>(work: Promise<T>, ms: number, timeout: () => NodeRuntimeError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), Math.max(0, ms));
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

export class ModuleLoader {
  private readonly options: LoaderOptions;
  private readonly compiled: CompiledCache;
  private readonly verified = new VerifiedSet();
  /** Placements being prepared, and those waiting for a turn. */
  private preparing = 0;
  private readonly prepareQueue: (() => void)[] = [];
  /** Verifications from disk in progress, by entry and policy. */
  private readonly verifying = new Map<string, Promise<VerifiedModule>>();
  /** Loads in progress by compiled key: a second request joins the first. */
  private readonly loading = new Map<string, { readonly done: Promise<CompiledModule>; readonly progress: Progress }>();
  /** Per FunctionDef object (immutable, replaced on change): its module id and configured capabilities, computed once, not per request. */
  private readonly perFunction = new WeakMap<FunctionDef, { moduleId: string; capabilities: CapabilityConfigs }>();

  constructor(options: LoaderOptions) {
    this.options = options;
    this.compiled = new CompiledCache(options.compiledCacheBytes ?? LOADER_DEFAULTS.compiledCacheBytes);
  }

  /** The loaded module of a function, compiling (and pulling, verifying) only when needed; waits at most until `deadline`. */
  async load(fn: FunctionDef, deadline?: LoadDeadline): Promise<FunctionModule> {
    let compiled = this.compiled.get(compiledKey(fn));
    this.options.events?.cache?.('memory', compiled ? 'hit' : 'miss');
    if (!compiled) {
      const { done, progress } = this.start(fn);
      compiled = await (deadline
        ? within(done, deadline.atMs - Date.now(), () => new NodeRuntimeError('Timeout', `function ${fn.key}: module not loaded within ${deadline.limitMs} ms (${deadline.setBy}), still in its ${progress.stage} stage; the load goes on in the background, retry shortly`))
        : done);
    }
    return this.functionModule(fn, compiled);
  }

  /** `fn`'s module when it is compiled in memory now, else undefined; loads nothing and counts no cache lookup. */
  compiledModule(fn: FunctionDef): FunctionModule | undefined {
    const compiled = this.compiled.get(compiledKey(fn));
    return compiled && this.functionModule(fn, compiled);
  }

  /**
   * A function placed here: its module pulled and verified now, and compiled when it fits the
   * compiled cache without evicting (the compile policy, file comment).
   */
  async prepare(fn: FunctionDef): Promise<void> {
    // Ten thousand functions placed at once would otherwise all pull at the same time and each
    // run into its bound; a request's own load does not wait for this queue.
    if (this.preparing >= PREPARE_CONCURRENCY) await new Promise<void>((resolve) => this.prepareQueue.push(resolve));
    this.preparing++;
    try {
      await this.prepareNow(fn);
    } finally {
      this.preparing--;
      this.prepareQueue.shift()?.();
    }
  }

  private async prepareNow(fn: FunctionDef): Promise<void> {
    // Grants first: a function this node must refuse (a host path outside the allow-list) fails
    // its placement at once, before anything is pulled, and says so then rather than on a request.
    this.configured(fn);
    const key = compiledKey(fn);
    if (this.compiled.get(key) || fn.module.kind === 'file') {
      await this.load(fn);
      return;
    }
    const progress: Progress = { stage: 'pull' };
    const bytes = await this.bounded(fn, progress, this.verifiedBytes(fn, fn.module.digest, progress));
    if (this.compiled.fits(bytes.byteLength)) await this.start(fn, bytes).done;
  }

  /** Forgets compiled modules no function running or held dormant here uses any more. */
  retain(functions: Iterable<FunctionDef>): void {
    this.compiled.retain(new Set([...functions].map(compiledKey)));
  }

  /**
   * Puts `fn`'s module in the disk cache, pulled and verified exactly as a load does (a refused
   * module is never cached), refused rather than evicting an entry `mayEvict` says no to; then
   * compiles it when it fits the compiled cache without evicting (a dormant function's first
   * request then only instantiates).
   */
  async prePull(fn: FunctionDef, mayEvict: EvictionGuard): Promise<PrePullOutcome> {
    const { cache, policy } = this.sources(fn);
    if (fn.module.kind !== 'oci') return { kind: 'cached' };
    let outcome: PrePullOutcome = { kind: 'cached' };
    if (!cache.has(fn.module.digest)) {
      const progress: Progress = { stage: 'pull' };
      const done = await this.bounded(fn, progress, cache.admitIfRoom(fn.module.digest, this.pullVerified(fn.module, policy, progress), mayEvict));
      if (!('admitted' in done)) return { kind: 'noRoom', ...done.noRoom };
      outcome = { kind: 'pulled' };
    }
    await this.prepare(fn);
    return outcome;
  }

  /** `fn`'s module identity and capabilities bound to this node, once per FunctionDef; throws naming the field. */
  private configured(fn: FunctionDef): { moduleId: string; capabilities: CapabilityConfigs } {
    let known = this.perFunction.get(fn);
    if (known === undefined) {
      known = { moduleId: moduleIdentity(fn), capabilities: configureCapabilities(fn.key, fn.grants, this.options.services ?? {}) };
      this.perFunction.set(fn, known);
    }
    return known;
  }

  private functionModule(fn: FunctionDef, { module, layout }: CompiledModule): FunctionModule {
    const { moduleId, capabilities } = this.configured(fn);
    const digest = fn.module.kind === 'oci' ? fn.module.digest : `file:${fn.module.path}`;
    return { moduleId, loaded: { name: fn.key, digest, module, layout, reuse: fn.reuse, capabilities } };
  }

  /** The load of `fn`'s compiled module in progress, started if none is (from `bytes` verified already, if given). */
  private start(fn: FunctionDef, bytes?: Uint8Array): { done: Promise<CompiledModule>; progress: Progress } {
    const key = compiledKey(fn);
    const running = this.loading.get(key);
    if (running) return running;
    const progress: Progress = { stage: fn.module.kind === 'oci' ? 'pull' : 'read' };
    const done = this.bounded(fn, progress, this.compile(fn, progress, bytes)).finally(() => this.loading.delete(key));
    // A failure is not kept: the next request tries again (the registry may be back). Waiters see it.
    done.catch(() => undefined);
    const entry = { done, progress };
    this.loading.set(key, entry);
    return entry;
  }

  /** `work` under the node's bound for one load. */
  private bounded<T>(fn: FunctionDef, progress: Progress, work: Promise<T>): Promise<T> {
    const ms = this.options.loadTimeoutMs ?? LOADER_DEFAULTS.loadTimeoutMs;
    const setBy = this.options.loadTimeoutSetBy ?? "the loader's loadTimeoutMs";
    work.catch(() => undefined);
    return within(work, ms, () => new NodeRuntimeError('Timeout', `function ${fn.key}: module load stopped after ${ms / 1000} s in its ${progress.stage} stage (${setBy}); check the registry, it is tried again`));
  }

  private async compile(fn: FunctionDef, progress: Progress, verified?: Uint8Array): Promise<CompiledModule> {
    const bytes = verified ?? (fn.module.kind === 'file' ? await readLocal(fn.module.path) : await this.verifiedBytes(fn, fn.module.digest, progress));
    progress.stage = 'compile';
    const compiled = await timed('compile', this.options.events, () => compileModule(bytes, fn.memoryPages, `function ${fn.key}`));
    this.compiled.set(compiledKey(fn), compiled, bytes.byteLength);
    return compiled;
  }

  /** The disk cache and the trust policy as of now; an OCI module cannot load without both. */
  private sources(fn: FunctionDef): { cache: DiskCache; policy: CompiledPolicy } {
    const { cache } = this.options;
    const policy = typeof this.options.policy === 'function' ? this.options.policy() : this.options.policy;
    if (!cache || !policy) throw new NodeRuntimeError('InvalidArgument', `function ${fn.key}: an OCI module needs a disk cache and a trust policy`);
    return { cache, policy };
  }

  /** The fill of a cache entry: pull, then verify before the rename (a refused module is never cached), remembered as verified. */
  private pullVerified(source: { ref: Reference; digest: string }, policy: CompiledPolicy, progress: Progress): (dir: string) => Promise<void> {
    const { events } = this.options;
    return async (dir) => {
      progress.stage = 'pull';
      try {
        await timed('pull', events, () => pullModule(source.ref, source.digest, dir, this.options.pull ?? {}));
        events?.pulled?.('Pulled');
      } catch (err) {
        events?.pulled?.(err instanceof NodeRuntimeError ? err.code : 'Error');
        throw err;
      }
      progress.stage = 'verify';
      this.verified.add(await timed('verify', events, () => verifyModule(dir, source.digest, policy, (result, signers) => events?.signature?.(result, source.digest, signers))), policy);
    };
  }

  /** The wasm bytes of `digest`, verified (now, or earlier in this process under the same policy) and matching their digest. */
  private async verifiedBytes(fn: FunctionDef, digest: string, progress: Progress, retried = false): Promise<Uint8Array> {
    const { events } = this.options;
    const { cache, policy } = this.sources(fn);
    if (fn.module.kind !== 'oci') throw new NodeRuntimeError('InvalidArgument', `function ${fn.key}: expected an OCI module, got a file`);
    let dir = cache.get(digest);
    events?.cache?.('disk', dir ? 'hit' : 'miss');
    dir ??= await cache.admit(digest, this.pullVerified({ ref: fn.module.ref, digest }, policy, progress));
    const entry = dir;
    return cache.pin(digest, async () => {
      try {
        const verified = await this.verifiedOnce(entry, digest, policy, progress);
        progress.stage = 'read';
        return await readWasm(entry, verified);
      } catch (err) {
        if (entryCorrupted(err) && !retried) {
          this.verified.forget(digest);
          await cache.remove(digest);
          return this.verifiedBytes(fn, digest, progress, true);
        }
        throw err;
      }
    });
  }

  /** `digest` as verified under `policy`: from the VerifiedSet, else verified from its entry (once, however many loads ask at the same time). */
  private verifiedOnce(entry: string, digest: string, policy: CompiledPolicy, progress: Progress): Promise<VerifiedModule> {
    const { events } = this.options;
    const known = this.verified.get(digest, policy);
    events?.cache?.('verified', known ? 'hit' : 'miss');
    if (known) return Promise.resolve(known);
    const key = `${entry} ${policyFingerprint(policy)}`;
    let running = this.verifying.get(key);
    if (!running) {
      progress.stage = 'verify';
      running = timed('verify', events, () => verifyModule(entry, digest, policy, (result, signers) => events?.signature?.(result, digest, signers)))
        .then((verified) => {
          this.verified.add(verified, policy);
          return verified;
        })
        .finally(() => this.verifying.delete(key));
      this.verifying.set(key, running);
    }
    return running;
  }
}

/**
 * Whether a failed read or verification means the entry no longer holds what was admitted (a blob
 * that does not hash to its name, a file gone): dropped and pulled again, not reported as a refusal.
 */
function entryCorrupted(err: unknown): boolean {
  if (!(err instanceof NodeRuntimeError)) return false;
  if (err.code === 'CacheCorrupted') return true;
  const cause = err.cause;
  return err.code === 'SignatureRejected' && cause instanceof VerifyError && cause.code === 'DigestMismatch';
}

/** The wasm layer of a verified module from its cache entry, checked against the digest its manifest names. */
async function readWasm(entry: string | OciLayoutStore, verified: VerifiedModule): Promise<Uint8Array> {
  const { digest, wasm } = verified;
  const layout = typeof entry === 'string' ? readLayout(entry) : entry;
  try {
    const bytes = new Uint8Array(await readFile(layout.blobPath(wasm.digest)));
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== wasm.digest || bytes.byteLength !== wasm.size) throw new Error(`wasm layer expected ${wasm.digest} (${wasm.size} bytes), got ${actual} (${bytes.byteLength} bytes)`);
    return bytes;
  } catch (err) {
    throw new NodeRuntimeError('CacheCorrupted', `cache entry ${digest}: ${err instanceof Error ? err.message : String(err)}; the entry is removed and pulled again`, { cause: err });
  }
}

/** Reads the wasm layer of a cache entry and checks it still hashes to its digest (unverified: tests and tools). */
export async function readEntryWasm(entryDir: string, digest: string): Promise<Uint8Array> {
  const layout = readLayout(entryDir);
  let wasm;
  try {
    const manifest = await layout.getManifest(digest);
    if (manifest.kind !== 'manifest') throw new Error('expected an image manifest, got an index');
    wasm = wasmLayerOf(manifest.manifest, `cache entry ${digest}`);
  } catch (err) {
    throw new NodeRuntimeError('CacheCorrupted', `cache entry ${digest}: ${err instanceof Error ? err.message : String(err)}; the entry is removed and pulled again`, { cause: err });
  }
  return readWasm(layout, { digest, wasm });
}

async function readLocal(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new NodeRuntimeError('InvalidArgument', `expected a readable .wasm file, got ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
