/**
 * The node runtime, composed: desired state source → loader (pull, verify, cache, compile, state
 * binding) → worker pool → invoker (the trigger seam) → HTTP adapter and event triggers, with
 * metrics and logs. Everything it uses comes in through NodeOptions; nothing here reads
 * process.env or argv.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from '../api/backoff.ts';
import { isReasonCode } from '../api/index.ts';
import type { AuditLog, FunctionReport, NodeReport, NodeRouteReport } from '../api/index.ts';
import { compilePolicy, type CompiledPolicy, type TrustPolicy } from '../artifacts/index.ts';
import { DiskCache } from './cache/disk-cache.ts';
import { WorkerPool, type InlineCandidate } from './engine/worker-pool.ts';
import { INLINE_BUDGET_MS, runsInline, SLOW_AFTER_OVERRUNS, SLOW_FOR_MS } from './http/inline.ts';
import { trackRequests } from './drain.ts';
import { NodeRuntimeError } from './errors.ts';
import { PlacementStages } from './metrics/placement-stages.ts';
import { RouteTable } from './http/routes.ts';
import { createHttpServers } from './http/server.ts';
import { Invoker } from './invoke/invoker.ts';
import type { InvokerContext } from './invoke/invoker.ts';
import { WaitingRoom } from './http/cold-start.ts';
import type { Readiness } from './http/cold-start.ts';
import { ModuleLoader } from './loader/module-loader.ts';
import { PrePuller } from './loader/pre-pull.ts';
import { addInlineCounts, createMetrics, type NodeMetrics } from './metrics/metrics.ts';
import type { PullOptions } from './pull/pull.ts';
import { moduleIdentity, type DesiredState, type DesiredStateSource, type FunctionDef } from './resolve/desired-state.ts';
import { auditSigners } from './verify/signers.ts';
import { RouteAuthenticators, type DegradedRoute } from './auth/route-auth.ts';
import type { JwksOptions } from './auth/jwt.ts';
import type { SecretSource } from './auth/secrets-dir.ts';
import type { PeerAuth } from './peer/peer-auth.ts';
import { StateService } from './state/service.ts';
import type { TickClaims } from './triggers/cron/claims.ts';
import { EventRuntime } from './triggers/manager.ts';
import type { NatsCredentials } from './triggers/nats-credentials.ts';

export interface NodeOptions {
  readonly source: DesiredStateSource;
  readonly logger: Logger;
  /** Listen address. @default 127.0.0.1 */
  readonly host?: string;
  /** Tenant port: the functions' routes. 0 picks a free port. */
  readonly port: number;
  /**
   * Admin port on the same address: /healthz, /readyz, /metrics, and the peer path other nodes of
   * the pool forward requests to (http/peer.ts). 0 picks a free port. @default 0
   */
  readonly adminPort?: number;
  readonly cacheDir: string;
  /** @default 1 GiB */
  readonly cacheMaxBytes?: number;
  /**
   * Signing keys and identities the node trusts; empty trusts nothing. A function is asked at each
   * verification (cluster mode: the trust policy ConfigMap as last seen).
   */
  readonly trust: TrustPolicy | (() => CompiledPolicy);
  /**
   * Called with the node's report on its functions whenever a load starts, succeeds or fails, and
   * every second for the in-flight counts (cluster mode sends it to the operator; equal reports are
   * the receiver's to skip).
   */
  readonly onReport?: (report: NodeReport) => void;
  /** Called with the routes this node refuses (auth it cannot enforce) whenever that set changes; cluster mode puts it in the Lease. */
  readonly onRouteReport?: (routes: NodeRouteReport) => void;
  readonly pull?: PullOptions;
  /** Pool worker threads (they run what the main thread dispatches), and as many listener threads with workerListeners. @default max(2, available parallelism) */
  readonly workers?: number;
  /** Stack of each worker thread in KiB (WasmRuntime engine.stackSizeKb). @default Node's */
  readonly stackSizeKb?: number;
  /**
   * Listener threads serve the tenant port themselves and run plain requests inline
   * (http/inline.ts): no thread hop per request. An inline run past its budget of a few
   * milliseconds is handed to the pool, so a long invocation never holds up a listener's
   * connections (docs/architecture.md, "Tenant listeners"). false: the main thread serves the
   * tenant port and every request hops to a pool worker. @default true
   */
  readonly workerListeners?: boolean;
  /** Invocations allowed to wait for a worker before 503. @default 256 */
  readonly queueLimit?: number;
  /** @default 1 MiB */
  readonly maxRequestBytes?: number;
  /** @default 4 MiB */
  readonly maxResponseBytes?: number;
  /** This node's name in trigger claims, NATS connection names and logs. @default the host name */
  readonly nodeName?: string;
  /**
   * Root of the functions' disk state (`spec.state.store: disk`, one directory per function).
   * Absent: a function bound to state does not load.
   */
  readonly stateDir?: string;
  /**
   * The cluster's NATS (JetStream): chaining to functions on other nodes, cron tick claims and
   * shared state (`spec.state.store: nats`). Absent: this node alone (ticks are all its own).
   */
  readonly natsUrl?: string;
  /** The pool's NATS credentials (an nkey user seed, `--nats-creds`). Absent: connect unauthenticated. */
  readonly natsCredentials?: NatsCredentials;
  /** How cron ticks are claimed once per cluster, e.g. LeaseTickClaims. @default NATS KV with natsUrl, else local */
  readonly tickClaims?: TickClaims;
  /** Scale from zero: longest a request for a dormant function is held while it is placed and loaded. @default 30 s */
  readonly coldStartTimeoutMs?: number;
  /** Scale from zero: requests held at once before new ones get 503. @default 256 */
  readonly maxHeldRequests?: number;
  /**
   * Scale from zero: pull and verify dormant functions' modules into the disk cache in the
   * background (loader/pre-pull.ts), so a cold start only compiles. @default true
   */
  readonly prePullDormant?: boolean;
  /** Bytes of compiled modules kept in memory, across scale to zero (ModuleLoader). @default 256 MiB */
  readonly compiledCacheBytes?: number;
  /** Longest one module load (pull + verify + compile) runs. @default 60 s */
  readonly loadTimeoutMs?: number;
  /**
   * Route authentication (auth/route-auth.ts): where Secrets are read (standalone: --secrets-dir;
   * absent: none, so apiKey routes answer 503) and how remote JWKS are fetched. @default no Secrets, 30 s JWKS cooldown
   */
  readonly auth?: { readonly secrets?: SecretSource; readonly jwks?: JwksOptions };
  /** The audit log (api/audit.ts): verifications, modules loaded, auth denials, desired states applied. Absent: none written. */
  readonly audit?: AuditLog;
  /** Node identity (peer/peer-auth.ts): the credential on what this node forwards and the check of what is forwarded to it. Absent: forwarded requests to this node are refused (401). */
  readonly peerAuth?: PeerAuth;
}

export interface RunningNode {
  /** The tenant port's base URL (routes). */
  readonly url: string;
  readonly port: number;
  /** The admin port's base URL: probes, metrics, and where peers forward to (the endpoint a cluster node publishes). */
  readonly adminUrl: string;
  readonly adminPort: number;
  readonly invoker: Invoker;
  readonly metrics: NodeMetrics;
  /** Current desired state. */
  state(): DesiredState;
  /** Keys of the event triggers running now. */
  triggers(): string[];
  /** How each function of the desired state is doing on this node. */
  report(): NodeReport;
  /** Routes whose auth this node cannot enforce now (they answer 503), with the reason. */
  degradedRoutes(): DegradedRoute[];
  /**
   * Stops: pulls in flight and load retries are abandoned at once, no connection is accepted, the
   * requests in flight get up to `graceMs` to be answered (then they are cut), then triggers and
   * workers stop. @default graceMs 0: cut at once
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

/** How long a function that became runnable inline waits for others to be posted to the workers with it. */
const PUBLISH_COALESCE_MS = 20;

/** Backoff of a failed load's retries: 1 s, 2 s, 4 s ... up to 5 min, equal jitter (nodes failing together spread out). */
const LOAD_RETRY: BackoffOptions = { initialMs: 1000, maxMs: 300_000 };

export const NODE_DEFAULTS = {
  cacheMaxBytes: 1 << 30,
  queueLimit: 256,
  maxRequestBytes: 1 << 20,
  maxResponseBytes: 4 << 20,
  coldStartTimeoutMs: 30_000,
  maxHeldRequests: 256,
} as const;

/** The invoker, noting when each function last ran (start and end): what a scale-to-zero function's idle report is made of. */
class ActivityInvoker extends Invoker {
  private readonly touch: (functionKey: string) => void;

  constructor(ctx: InvokerContext, touch: (functionKey: string) => void) {
    super(ctx);
    this.touch = touch;
  }

  override async invoke(...args: Parameters<Invoker['invoke']>): ReturnType<Invoker['invoke']> {
    this.touch(args[0]);
    try {
      return await super.invoke(...args);
    } finally {
      this.touch(args[0]);
    }
  }
}

/** Starts a node: serves the source's desired state until close(). */
export async function startNode(o: NodeOptions): Promise<RunningNode> {
  const { logger } = o;
  const maxRequestBytes = o.maxRequestBytes ?? NODE_DEFAULTS.maxRequestBytes;
  const maxResponseBytes = o.maxResponseBytes ?? NODE_DEFAULTS.maxResponseBytes;
  const policy = typeof o.trust === 'function' ? o.trust : compilePolicy(o.trust);
  const gauges = { pool: undefined as WorkerPool | undefined, room: undefined as WaitingRoom | undefined };
  const metrics = createMetrics({ instances: () => gauges.pool?.instances ?? 0, queued: () => gauges.pool?.queued ?? 0, held: () => gauges.room?.waiting() ?? new Map() });
  const cache = await DiskCache.open(o.cacheDir, o.cacheMaxBytes ?? NODE_DEFAULTS.cacheMaxBytes, {
    evicted: (digest) => {
      metrics.cacheEvictions.inc();
      logger.info({ digest }, 'Evicted module from disk cache');
    },
  });
  const pool = new WorkerPool(
    { size: o.workers ?? Math.max(2, availableParallelism()), queueLimit: o.queueLimit ?? NODE_DEFAULTS.queueLimit, listeners: o.workerListeners !== false, ...(o.stackSizeKb !== undefined ? { stackSizeKb: o.stackSizeKb } : {}) },
    {
      workerReplaced: (reason) => metrics.workerReplacements.inc({ reason }),
      interrupted: () => metrics.interruptions.inc(),
      counts: (counts, worker) => {
        addInlineCounts(metrics, counts, worker);
        const now = Date.now();
        for (const [key] of counts.invocations) if (lastActive.has(key)) lastActive.set(key, now);
        for (const { message, code, ...f } of counts.failures) logger.warn({ ...f, trigger: 'http', code }, message);
        for (const key of new Set(counts.slowMarked)) logger.info({ function: key, worker }, `Moved function ${key} to the worker pool for ${SLOW_FOR_MS / 1000} s: its inline runs passed the ${INLINE_BUDGET_MS} ms inline budget ${SLOW_AFTER_OVERRUNS} times in a row`);
      },
    },
  );
  gauges.pool = pool;
  const livePool = pool;
  const placements = new PlacementStages((stage, seconds) => metrics.placementStage[stage].observe(seconds));
  // The state store needs the EventRuntime's NATS connection, which needs the invoker, which needs
  // the loader: both are reached through this holder, filled before the first state is applied.
  const wired: { state?: StateService; events?: EventRuntime } = {};
  // Aborted by close(): a pull retrying a registry that is down must not hold the node's exit for minutes.
  const stopping = new AbortController();
  const loader = new ModuleLoader({
    cache,
    policy,
    pull: { ...o.pull, signal: stopping.signal },
    ...(o.compiledCacheBytes !== undefined ? { compiledCacheBytes: o.compiledCacheBytes } : {}),
    ...(o.loadTimeoutMs !== undefined ? { loadTimeoutMs: o.loadTimeoutMs } : {}),
    loadTimeoutSetBy: 'flotilla node --module-load-timeout-ms',
    services: {
      ownDirs: [o.cacheDir, ...(o.stateDir !== undefined ? [o.stateDir] : [])],
      ...(o.stateDir !== undefined ? { state: { bindingFor: (key: string, shared: boolean) => wired.state!.bindingFor(key, shared) } } : {}),
    },
    events: {
      cache: (c, result) => metrics.cacheRequests.inc({ cache: c, result }),
      pulled: (outcome) => metrics.modulePulls.inc({ outcome }),
      signature: (result, digest, signers) => {
        metrics.signatures.inc({ result });
        o.audit?.record({ kind: 'verification', action: result, object: `module ${digest}`, details: { digest, ...(signers ? { signedBy: auditSigners(signers) } : {}) } });
      },
      stage: (stage, seconds) => metrics.loadStage.observe({ stage }, seconds),
    },
  });

  const prePuller =
    o.prePullDormant === false
      ? undefined
      : new PrePuller({
          prePull: (fn, mayEvict) => loader.prePull(fn, mayEvict),
          evictionsFor: (bytes, mayEvict) => cache.evictionsFor(bytes, undefined, mayEvict),
          logger,
          ended: (outcome) => metrics.prePulls.inc({ outcome }),
        });

  let current: DesiredState = { functions: new Map(), routes: [], triggers: [] };
  let routes = new RouteTable([]);
  const authenticators: RouteAuthenticators = new RouteAuthenticators({
    logger,
    ...o.auth,
    changed: () => o.onRouteReport?.(Object.fromEntries(authenticators.degraded().map((d) => [d.route, { reason: 'AuthNotEnforceable' as const, message: d.message.slice(0, 1024) }]))),
  });
  // Syncs run one after the other, so an older route set never lands after a newer one.
  let authSync = Promise.resolve();
  let authSyncing = 0;
  let applied = false;
  let prefetching = 0;
  const moduleFailures = new Map<string, string>();
  /** Load state per function key, without in-flight counts (added when a report is taken). */
  const loads = new Map<string, FunctionReport>();
  /** When each function last ran or was assigned (ms since epoch): idle is measured from here. */
  const lastActive = new Map<string, number>();
  const triggerFailures = new Map<string, string>();
  /** Trigger key → its function's key, for the metrics' function label. */
  let triggerFunctions = new Map<string, string>();
  // Trigger changes apply one state after the other, in order; `triggering` counts those pending.
  let triggerChanges = Promise.resolve();
  let triggering = 0;

  const applyTriggers = (next: DesiredState) => {
    const runtime = wired.events;
    if (!runtime) return;
    triggering++;
    triggerChanges = triggerChanges
      .then(async () => {
        const problems = await runtime.apply(next.triggers, { timeouts: new Map([...next.functions].map(([k, f]) => [k, f.timeoutMs])) });
        triggerFailures.clear();
        for (const p of problems) {
          triggerFailures.set(p.trigger, p.error.message);
          logger.error({ trigger: p.trigger }, `Trigger not started: ${p.error.message}`);
        }
        logger.info({ triggers: runtime.running() }, 'Applied triggers');
      })
      .catch((err: unknown) => logger.error({ err }, 'Applying triggers failed'))
      .finally(() => triggering--);
  };

  const apply = (next: DesiredState) => {
    const appliedAt = performance.now();
    for (const [key, fn] of next.functions) if (current.functions.get(key) !== fn) placements.placed(key, appliedAt);
    const before = new Set([...current.functions.values()].map(moduleIdentity));
    const after = new Set([...next.functions.values()].map(moduleIdentity));
    for (const id of before) if (!after.has(id)) livePool.drop(id);
    current = next;
    routes = new RouteTable(next.routes);
    authSyncing++;
    authSync = authSync
      .then(() => authenticators.sync(next.routes))
      .catch((err: unknown) => logger.error({ err }, 'Loading route authentication failed'))
      .finally(() => authSyncing--);
    loader.retain([...next.functions.values(), ...(next.dormant?.values() ?? [])]);
    triggerFunctions = new Map(next.triggers.map((t) => [`${t.metadata.namespace ?? 'default'}/${t.metadata.name}`, `${t.metadata.namespace ?? 'default'}/${t.spec.functionRef}`]));
    applyTriggers(next);
    applied = true;
    logger.info({ functions: next.functions.size, routes: next.routes.length, triggers: next.triggers.length }, 'Applied desired state');
    o.audit?.record({ kind: 'admin', action: 'DesiredStateApplied', object: `node ${nodeName}`, details: { functions: next.functions.size, routes: next.routes.length, triggers: next.triggers.length } });
    placements.retain(next.functions);
    for (const key of loads.keys()) if (!next.functions.has(key)) loads.delete(key);
    for (const key of lastActive.keys()) if (!next.functions.has(key)) lastActive.delete(key);
    for (const key of next.functions.keys()) if (!lastActive.has(key)) lastActive.set(key, Date.now());
    // Load every function now so the first request finds its module compiled.
    for (const fn of next.functions.values()) prefetch(fn);
    // Dormant functions' modules go to the disk cache in the background (a load of the same digest joins its pull).
    prePuller?.update(next.dormant?.values() ?? [], next.functions.values());
    sendReport();
    room.changed();
    publishInline();
  };

  /** What the workers may run inline of `fn` now: Loaded, local, compiled in memory, and unable to block in a host call. */
  const inlineCandidate = (fn: FunctionDef): InlineCandidate | undefined => {
    if (loads.get(fn.key)?.state !== 'Loaded' || current.remote?.has(fn.key) || current.dormant?.has(fn.key)) return undefined;
    let m: ReturnType<typeof loader.compiledModule>;
    try {
      m = loader.compiledModule(fn);
    } catch {
      // Its capabilities refuse it here (a host path not allowed): the slow way's load reports why, to the client and in the log.
      return undefined;
    }
    if (!m || !runsInline(m.loaded)) return undefined;
    return { key: fn.key, moduleId: m.moduleId, loaded: m.loaded, env: fn.env, timeoutMs: fn.timeoutMs, concurrency: fn.concurrency, ...(fn.module.kind === 'oci' ? { digest: fn.module.digest } : {}) };
  };
  let inlineKeys = new Set<string>();
  let publishTimer: NodeJS.Timeout | undefined;
  /** Posts the routes and inline functions to the workers: at once for a new desired state, so no worker serves a route after it is gone. */
  const publishInline = () => {
    clearTimeout(publishTimer);
    publishTimer = undefined;
    if (o.workerListeners === false) return;
    const candidates: InlineCandidate[] = [];
    for (const fn of current.functions.values()) {
      const c = inlineCandidate(fn);
      if (c) candidates.push(c);
    }
    inlineKeys = new Set(candidates.map((c) => c.key));
    livePool.publish(current.routes, candidates);
    for (const key of inlineKeys) placements.reached(key, 'inline');
  };
  /** A function became eligible (loaded, or compiled by a request): loads end by the thousand, so one post covers all of a moment's. */
  const publishSoon = () => {
    publishTimer ??= setTimeout(publishInline, PUBLISH_COALESCE_MS);
  };

  /**
   * Loads `fn` and records how it went. A failed load is tried again with backoff while `fn` is
   * still wanted: a registry that comes back is picked up, and a module that keeps failing counts
   * up its failures (what the operator's Degraded reads).
   */
  const prefetch = (fn: FunctionDef): void => {
    if (stopping.signal.aborted) return;
    const digest = fn.module.kind === 'oci' ? fn.module.digest : `file:${fn.module.path}`;
    const before = loads.get(fn.key);
    // Compiled in memory already (a re-wake after scale to zero, a redeploy with the same module):
    // Loaded now, so this apply's table lets the listeners run it inline from its first request.
    if (compiledNow(fn)) {
      moduleFailures.delete(fn.key);
      if (before?.digest !== digest || before.state !== 'Loaded') setLoad(fn.key, { digest, state: 'Loaded' });
      return;
    }
    if (before?.digest !== digest || before.state !== 'Loaded') setLoad(fn.key, { digest, state: 'Loading', ...(before?.digest === digest && before.failures ? { failures: before.failures } : {}) });
    prefetching++;
    loader.prepare(fn).then(
      () => {
        moduleFailures.delete(fn.key);
        if (current.functions.get(fn.key) === fn) setLoad(fn.key, { digest, state: 'Loaded' });
      },
      (err: unknown) => {
        // Abandoned by close(): no failure of the module, and no retry.
        if (stopping.signal.aborted) return;
        const code = err instanceof NodeRuntimeError ? err.code : 'Error';
        moduleFailures.set(fn.key, code);
        const message = err instanceof Error ? err.message : String(err);
        logger.error({ function: fn.key, code }, `Module not loaded: ${message}`);
        if (current.functions.get(fn.key) !== fn) return;
        const failures = (loads.get(fn.key)?.failures ?? 0) + 1;
        setLoad(fn.key, { digest, state: 'Failed', reason: failureReason(err, code), message, failures });
        const timer = setTimeout(() => {
          retries.delete(timer);
          if (current.functions.get(fn.key) === fn) prefetch(fn);
        }, backoffDelay(failures, LOAD_RETRY));
        retries.add(timer);
      },
    ).finally(() => prefetching--);
  };
  const retries = new Set<NodeJS.Timeout>();
  /** Whether `fn`'s module is compiled in memory and its grants hold here (a refusal goes the slow way, which reports it). */
  const compiledNow = (fn: FunctionDef): boolean => {
    try {
      return loader.compiledModule(fn) !== undefined;
    } catch {
      return false;
    }
  };

  const report = (): NodeReport => {
    const now = Date.now();
    const out: Record<string, FunctionReport> = {};
    for (const [key, r] of loads) {
      const inFlight = invoker.inFlight(key);
      const idleAfter = current.idleAfterMs?.get(key);
      const idle = idleAfter !== undefined && inFlight === 0 && now - (lastActive.get(key) ?? now) >= idleAfter;
      out[key] = { ...r, ...(inFlight > 0 ? { inFlight } : {}), ...(idle ? { idle } : {}) };
    }
    // Demand for dormant functions: what makes the operator place them (on this node first).
    for (const [key, waiting] of room.waiting()) {
      const fn = current.dormant?.get(key);
      if (fn?.module.kind === 'oci') out[key] = { digest: fn.module.digest, state: 'Wanted', waiting };
    }
    return out;
  };
  const sendReport = () => o.onReport?.(report());
  const setLoad = (key: string, r: FunctionReport) => {
    const before = loads.get(key);
    if (r.state === 'Loaded' && (before?.state !== 'Loaded' || before.digest !== r.digest)) o.audit?.record({ kind: 'deploy', action: 'ModuleLoaded', object: `WasmFunction ${key}`, details: { digest: r.digest, node: nodeName } });
    loads.set(key, r);
    if (r.state === 'Loaded') placements.reached(key, 'loaded');
    if (r.state === 'Loaded' || inlineKeys.has(key)) publishSoon();
    sendReport();
    room.changed();
  };
  /** Where a function requests wait for stands (dormant, loading, loaded, failed or gone). */
  const readiness = (key: string): Readiness => {
    if (current.dormant?.has(key)) return { kind: 'dormant' };
    if (!current.functions.has(key)) return { kind: 'gone' };
    const r = loads.get(key);
    if (r?.state === 'Loaded') return { kind: 'loaded' };
    if (r?.state === 'Failed') return { kind: 'failed', code: moduleFailures.get(key) ?? 'ModulePullFailed', message: r.message ?? r.reason ?? 'load failed' };
    return { kind: 'loading' };
  };
  const reportTimer = o.onReport ? setInterval(sendReport, 1000) : undefined;
  reportTimer?.unref();

  const invoker = new ActivityInvoker(
    { pool, loader, logger, metrics, functions: () => current.functions, maxResponseBytes },
    (key) => {
      if (lastActive.has(key)) lastActive.set(key, Date.now());
      // A module compiled by this request's own load (it did not fit at placement) may now run inline.
      const fn = current.functions.get(key);
      if (fn && !inlineKeys.has(key) && inlineCandidate(fn)) publishSoon();
    },
  );
  const nodeName = o.nodeName ?? hostname();
  const relayToken = o.workerListeners === false ? undefined : randomBytes(16).toString('hex');
  const room = new WaitingRoom({
    node: nodeName,
    readiness,
    onChange: sendReport,
    timeoutMs: o.coldStartTimeoutMs ?? NODE_DEFAULTS.coldStartTimeoutMs,
    limit: o.maxHeldRequests ?? NODE_DEFAULTS.maxHeldRequests,
    ended: (key, outcome, waitedMs) => {
      metrics.heldOutcomes.inc({ function: key, outcome });
      if (outcome !== 'rejected') metrics.coldStartWait.observe({ function: key }, waitedMs / 1000);
    },
  });
  gauges.room = room;
  const servers = createHttpServers({
    invoker,
    routes: () => routes,
    logger,
    metrics,
    maxRequestBytes,
    maxResponseBytes,
    nodeName,
    remote: (key) => current.remote?.get(key),
    hold: (key, abandoned) => (current.dormant?.has(key) ? room.hold(key, abandoned) : undefined),
    ...(relayToken !== undefined ? { relayToken } : {}),
    flushMetrics: () => livePool.flush(),
    ...(o.peerAuth ? { peerAuth: o.peerAuth } : {}),
    peerAccepted: () => metrics.peerAuth.inc({ result: 'ok' }),
    peerRefused: (error, forwarding, remote) => {
      metrics.peerAuth.inc({ result: error.code });
      o.audit?.record({ kind: 'denial', action: 'PeerUnauthenticated', object: `node ${nodeName}`, details: { reason: error.code, forwardedBy: forwarding.by, remote } });
    },
    authenticate: async (route, headers) => {
      const outcome = await authenticators.authenticate(route, headers);
      if (!outcome.ok) o.audit?.record({ kind: 'denial', action: outcome.error.code, object: `FunctionRoute ${route.key}`, details: { reason: outcome.error.message } });
      return outcome;
    },
    readiness: () => ({
      ready: applied && prefetching === 0 && triggering === 0 && authSyncing === 0,
      detail: {
        applied,
        loading: prefetching,
        functions: current.functions.size,
        failed: Object.fromEntries(moduleFailures),
        triggers: wired.events?.running() ?? [],
        failedTriggers: Object.fromEntries(triggerFailures),
        degradedRoutes: Object.fromEntries(authenticators.degraded().map((d) => [d.route, d.message])),
      },
    }),
  });

  // Without its NATS the node does not start (its triggers and shared state would silently not
  // work); the workers already started are stopped again.
  const events = await EventRuntime.start({
    invoker,
    logger,
    nodeName,
    ...(o.natsUrl !== undefined ? { natsUrl: o.natsUrl } : {}),
    ...(o.natsCredentials ? { natsCredentials: o.natsCredentials } : {}),
    ...(o.tickClaims ? { tickClaims: o.tickClaims } : {}),
    events: {
      delivered: (trigger, outcome) => {
        const fn = triggerFunctions.get(trigger) ?? '';
        metrics.triggerEvents.inc({ function: fn, trigger, outcome });
        if (outcome === 'deadLetter') metrics.deadLetters.inc({ function: fn, trigger });
      },
    },
  }).catch(async (err: unknown) => {
    await livePool.close();
    throw new NodeRuntimeError('InvalidArgument', `cluster NATS ${o.natsUrl ?? ''}: ${err instanceof Error ? err.message : String(err)}; check --nats-url, --nats-creds (the server's config must name this seed's public key${o.natsCredentials ? ` ${o.natsCredentials.publicKey}` : ''}) and that the server is up`, { cause: err });
  });
  if (o.stateDir !== undefined) wired.state = new StateService({ diskRoot: o.stateDir, ...(events.nats ? { nats: events.nats } : {}) });
  wired.events = events;

  /**
   * The tenant port in the workers (http/inline.ts). The main thread binds it first, with
   * reusePort, to learn the port 0 picks (and fail as before when it is taken), keeps it until
   * every worker listens, then leaves the accepting to them; its own tenant server, on an internal
   * port, serves what the workers relay.
   */
  const listenInWorkers = async (token: string): Promise<{ url: string; port: number }> => {
    // The probe is a listener too: the kernel gives it a share of the connections that arrive
    // before the workers take over. The main thread serves those (the slow way, as with listeners
    // off) rather than leave them unanswered.
    const probe = net.createServer((socket) => servers.tenant.emit('connection', socket));
    const bound = await listen(probe, o.port, host, true);
    try {
      const { port: relayPort } = await listen(servers.tenant, 0, '127.0.0.1');
      await livePool.listen({ host, port: bound.port, relayPort, relayToken: token, nodeName, maxRequestBytes, maxResponseBytes });
      return bound;
    } catch (err) {
      servers.tenant.close();
      await Promise.all([events.close(), livePool.close()]);
      throw err;
    } finally {
      // Stops listening at once; not awaited: its callback waits for the connections it accepted,
      // which the tenant server keeps alive as long as their clients do.
      probe.close();
    }
  };
  const host = o.host ?? '127.0.0.1';
  const requests = [trackRequests(servers.tenant), trackRequests(servers.admin)];
  await o.source.start(apply);
  const { url, port } = relayToken === undefined ? await listen(servers.tenant, o.port, host) : await listenInWorkers(relayToken);
  const { url: adminUrl, port: adminPort } = await listen(servers.admin, o.adminPort ?? 0, host);
  logger.info({ url, adminUrl }, 'Node runtime listening');
  return {
    url,
    port,
    adminUrl,
    adminPort,
    invoker,
    metrics,
    state: () => current,
    triggers: () => events.running(),
    report,
    degradedRoutes: () => authenticators.degraded(),
    async close({ graceMs = 0 } = {}) {
      stopping.abort(new NodeRuntimeError('ShuttingDown', `node ${nodeName} is shutting down`));
      clearInterval(reportTimer);
      clearTimeout(publishTimer);
      for (const timer of retries) clearTimeout(timer);
      room.close();
      prePuller?.close();
      const inFlight = requests.reduce((n, r) => n + r.inFlight, 0);
      if (graceMs > 0) logger.info({ inFlight, graceMs }, 'Draining: accepting no more requests');
      // While requests drain, the source stops (cluster mode clears the Lease holder, so the
      // operator moves the functions away meanwhile) and then the triggers: no new event starts an invocation.
      // The listener threads drain too: a request they relayed is answered to its client before they go.
      const [drained, listenersDrained] = await Promise.all([
        Promise.all(requests.map((r) => r.drain(graceMs))),
        livePool.drainListeners(graceMs),
        o.source.close().then(() => triggerChanges).then(() => events.close()),
      ]);
      if (graceMs > 0 && !(drained.every(Boolean) && listenersDrained)) logger.warn({ graceMs }, 'Shutdown grace ran out: cut the requests still in flight');
      await livePool.close();
      wired.state?.close();
    },
  };
}

/** Starts `server` listening on `host:port`; resolves to its base URL and the port it got. */
async function listen(server: net.Server, port: number, host: string, reusePort = false): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, reusePort }, () => resolve());
  });
  const { port: bound, address } = server.address() as AddressInfo;
  return { url: `http://${address.includes(':') ? `[${address}]` : address}:${bound}`, port: bound };
}

/** The report reason of a failed load: the precise verification or pull reason when the cause has one (NoSignature, UntrustedKey...), else the node's code. */
function failureReason(err: unknown, code: string): string {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' && isReasonCode(cause) ? cause : code;
}
