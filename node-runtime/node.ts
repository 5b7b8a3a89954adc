/**
 * The node runtime, composed: desired state source → loader (pull, verify, cache, compile) →
 * worker pool → invoker (the trigger seam) → HTTP adapter, with metrics and logs. Everything it
 * uses comes in through NodeOptions; nothing here reads process.env or argv.
 */
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { compilePolicy, type TrustPolicy } from '../artifacts/index.ts';
import { DiskCache } from './cache/disk-cache.ts';
import { WorkerPool } from './engine/worker-pool.ts';
import { NodeRuntimeError } from './errors.ts';
import { RouteTable } from './http/routes.ts';
import { createHttpServer } from './http/server.ts';
import { Invoker } from './invoke/invoker.ts';
import { ModuleLoader } from './loader/module-loader.ts';
import { createMetrics, type NodeMetrics } from './metrics/metrics.ts';
import type { PullOptions } from './pull/pull.ts';
import { moduleIdentity, type DesiredState, type DesiredStateSource } from './resolve/desired-state.ts';

export interface NodeOptions {
  readonly source: DesiredStateSource;
  readonly logger: Logger;
  /** Listen address. @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly cacheDir: string;
  /** @default 1 GiB */
  readonly cacheMaxBytes?: number;
  /** Signing keys and identities the node trusts; empty trusts nothing. */
  readonly trust: TrustPolicy;
  readonly pull?: PullOptions;
  /** Worker threads. @default max(2, available parallelism) */
  readonly workers?: number;
  /** Invocations allowed to wait for a worker before 503. @default 256 */
  readonly queueLimit?: number;
  /** @default 1 MiB */
  readonly maxRequestBytes?: number;
  /** @default 4 MiB */
  readonly maxResponseBytes?: number;
}

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly invoker: Invoker;
  readonly metrics: NodeMetrics;
  /** Current desired state. */
  state(): DesiredState;
  close(): Promise<void>;
}

export const NODE_DEFAULTS = {
  cacheMaxBytes: 1 << 30,
  queueLimit: 256,
  maxRequestBytes: 1 << 20,
  maxResponseBytes: 4 << 20,
} as const;

/** Starts a node: serves the source's desired state until close(). */
export async function startNode(o: NodeOptions): Promise<RunningNode> {
  const { logger } = o;
  const policy = compilePolicy(o.trust);
  const gauges = { pool: undefined as WorkerPool | undefined };
  const metrics = createMetrics({ instances: () => gauges.pool?.instances ?? 0, queued: () => gauges.pool?.queued ?? 0 });
  const cache = await DiskCache.open(o.cacheDir, o.cacheMaxBytes ?? NODE_DEFAULTS.cacheMaxBytes, {
    evicted: (digest) => {
      metrics.cacheEvictions.inc();
      logger.info({ digest }, 'Evicted module from disk cache');
    },
  });
  const pool = new WorkerPool(
    { size: o.workers ?? Math.max(2, availableParallelism()), queueLimit: o.queueLimit ?? NODE_DEFAULTS.queueLimit },
    { workerReplaced: (reason) => metrics.workerReplacements.inc({ reason }) },
  );
  gauges.pool = pool;
  const livePool = pool;
  const loader = new ModuleLoader({
    cache,
    policy,
    ...(o.pull ? { pull: o.pull } : {}),
    events: {
      cache: (c, result) => metrics.cacheRequests.inc({ cache: c, result }),
      pulled: (outcome) => metrics.modulePulls.inc({ outcome }),
      signature: (result) => metrics.signatures.inc({ result }),
      stage: (stage, seconds) => metrics.loadStage.observe({ stage }, seconds),
    },
  });

  let current: DesiredState = { functions: new Map(), routes: [] };
  let routes = new RouteTable([]);
  let applied = false;
  let prefetching = 0;
  const moduleFailures = new Map<string, string>();

  const apply = (next: DesiredState) => {
    const before = new Set([...current.functions.values()].map(moduleIdentity));
    const after = new Set([...next.functions.values()].map(moduleIdentity));
    for (const id of before) if (!after.has(id)) livePool.drop(id);
    current = next;
    routes = new RouteTable(next.routes);
    loader.retain(next.functions.values());
    applied = true;
    logger.info({ functions: next.functions.size, routes: next.routes.length }, 'Applied desired state');
    // Load every function now so the first request finds its module compiled.
    for (const fn of next.functions.values()) {
      prefetching++;
      loader.load(fn).then(
        () => moduleFailures.delete(fn.key),
        (err: unknown) => {
          const code = err instanceof NodeRuntimeError ? err.code : 'Error';
          moduleFailures.set(fn.key, code);
          logger.error({ function: fn.key, code }, `Module not loaded: ${err instanceof Error ? err.message : String(err)}`);
        },
      ).finally(() => prefetching--);
    }
  };

  const invoker = new Invoker({ pool, loader, logger, metrics, functions: () => current.functions, maxResponseBytes: o.maxResponseBytes ?? NODE_DEFAULTS.maxResponseBytes });
  const server = createHttpServer({
    invoker,
    routes: () => routes,
    logger,
    metrics,
    maxRequestBytes: o.maxRequestBytes ?? NODE_DEFAULTS.maxRequestBytes,
    readiness: () => ({
      ready: applied && prefetching === 0,
      detail: { applied, loading: prefetching, functions: current.functions.size, failed: Object.fromEntries(moduleFailures) },
    }),
  });

  await o.source.start(apply);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  logger.info({ url }, 'Node runtime listening');
  return {
    url,
    port,
    invoker,
    metrics,
    state: () => current,
    async close() {
      await o.source.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await livePool.close();
    },
  };
}
