/**
 * The trigger seam: `invoke(functionKey, payload, meta)` is the one entry every trigger uses (the
 * HTTP adapter and the cron, NATS and MQTT triggers). It gives the invocation its context (id, deadline,
 * W3C trace context), loads the module, runs it on the worker pool, and counts and logs the
 * outcome exactly once. Failures come back as values with their typed code, never thrown.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { NodeRuntimeError } from '../errors.ts';
import type { WorkerPool } from '../engine/worker-pool.ts';
import type { ModuleLoader } from '../loader/module-loader.ts';
import type { NodeMetrics } from '../metrics/metrics.ts';
import type { FunctionDef } from '../resolve/desired-state.ts';
import { cgiEnvironment, type RequestMeta } from '../wasi/wagi.ts';
import { childContext, formatTraceparent, parseTraceparent } from './trace-context.ts';

export interface InvocationMeta {
  /** Which trigger invoked (label for logs): "http", "cron", ... */
  readonly trigger: string;
  /** The request as the function sees it (event triggers describe theirs as a POST). */
  readonly request: RequestMeta;
  /** Caller's W3C traceparent, if any. */
  readonly traceparent?: string;
  /** Caller-imposed deadline (ms since epoch), e.g. a route timeout; the function's own timeout still applies. */
  readonly deadlineMs?: number;
}

interface OutcomeBase {
  readonly invocationId: string;
  readonly traceparent: string;
}

export type InvocationOutcome =
  | (OutcomeBase & {
      readonly ok: true;
      readonly status: number;
      readonly headers: readonly (readonly [string, string])[];
      readonly body: Uint8Array;
      /** Manifest digest of the module that ran (absent for a local file): which version answered, mid-rollout too. */
      readonly digest?: string;
    })
  | (OutcomeBase & { readonly ok: false; readonly error: NodeRuntimeError });

export interface InvokerContext {
  readonly pool: WorkerPool;
  readonly loader: ModuleLoader;
  readonly logger: Logger;
  readonly metrics?: NodeMetrics;
  /** Current functions of the desired state. */
  readonly functions: () => ReadonlyMap<string, FunctionDef>;
  readonly maxResponseBytes: number;
}

/** A function's metric series of the success path, bound once (prom-client hashes labels on every unbound call). */
interface BoundMetrics {
  readonly ok: ReturnType<NodeMetrics['invocations']['labels']>;
}

export class Invoker {
  private readonly ctx: InvokerContext;
  private readonly running = new Map<string, number>();
  private readonly bound = new Map<string, BoundMetrics>();

  constructor(ctx: InvokerContext) {
    this.ctx = ctx;
  }

  /** Invocations of `functionKey` started and not yet finished (the load a node reports for autoscaling). */
  inFlight(functionKey: string): number {
    return this.running.get(functionKey) ?? 0;
  }

  /** True when the worker pool would take an invocation now (run it or queue it). */
  hasRoom(): boolean {
    return this.ctx.pool.hasRoom();
  }

  async invoke(functionKey: string, payload: Uint8Array, meta: InvocationMeta): Promise<InvocationOutcome> {
    this.running.set(functionKey, this.inFlight(functionKey) + 1);
    try {
      return await this.invokeOnce(functionKey, payload, meta);
    } finally {
      const n = this.inFlight(functionKey) - 1;
      if (n > 0) this.running.set(functionKey, n);
      else this.running.delete(functionKey);
    }
  }

  private series(metrics: NodeMetrics, label: string): BoundMetrics {
    let series = this.bound.get(label);
    if (!series) {
      series = { ok: metrics.invocations.labels({ function: label, outcome: 'ok' }) };
      // Functions come and go with the desired state: a bound stays small without bookkeeping.
      if (this.bound.size >= 10_000) this.bound.clear();
      this.bound.set(label, series);
    }
    return series;
  }

  private async invokeOnce(functionKey: string, payload: Uint8Array, meta: InvocationMeta): Promise<InvocationOutcome> {
    const started = performance.now();
    // One random draw per invocation: the id, and the trace and span ids made from it.
    const invocationId = randomUUID();
    const trace = childContext(parseTraceparent(meta.traceparent), invocationId);
    const traceparent = formatTraceparent(trace);
    const { metrics, logger } = this.ctx;
    const fn = this.ctx.functions().get(functionKey);
    const label = fn?.key ?? functionKey;
    const fail = (error: NodeRuntimeError, stderr?: string): InvocationOutcome => {
      metrics?.invocations.inc({ function: label, outcome: error.code });
      metrics?.duration.observe((performance.now() - started) / 1000);
      logger.warn({ invocationId, traceId: trace.traceId, spanId: trace.spanId, function: label, trigger: meta.trigger, code: error.code, ...(stderr ? { stderr } : {}) }, error.message);
      return { ok: false, invocationId, traceparent, error };
    };
    if (!fn) return fail(new NodeRuntimeError('FunctionNotFound', `expected a function ${functionKey} in the desired state, got none; check the route's backends`));
    const now = Date.now();
    const deadlineMs = Math.min(now + fn.timeoutMs, meta.deadlineMs ?? Infinity);
    // A load waits no longer than the invocation may take; its error names what set that.
    const setBy = deadlineMs < now + fn.timeoutMs ? `the ${meta.trigger} caller's deadline (e.g. FunctionRoute spec.timeoutMs)` : 'WasmFunction spec.limits.timeoutMs';
    let stderr: string | undefined;
    try {
      const { moduleId, loaded } = await this.ctx.loader.load(fn, { atMs: deadlineMs, limitMs: deadlineMs - now, setBy });
      const env = cgiEnvironment(meta.request, { invocationId, deadlineMs, traceparent }, payload.length, fn.env);
      const result = await this.ctx.pool.run({
        moduleId,
        loaded,
        call: { stdin: payload, env, maxResponseBytes: this.ctx.maxResponseBytes },
        deadlineMs,
        concurrency: fn.concurrency,
        onStderr: (text) => { stderr = text; },
      });
      if (result.cold) {
        metrics?.coldStarts.inc({ function: label });
        metrics?.initDuration.observe(result.initMicros / 1e6);
      }
      if (metrics) {
        this.series(metrics, label).ok.inc();
        metrics.duration.observe((performance.now() - started) / 1000);
      }
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ invocationId, traceId: trace.traceId, spanId: trace.spanId, function: label, trigger: meta.trigger, status: result.status, cold: result.cold, ...(stderr ? { stderr } : {}) }, 'Invoked function');
      }
      return { ok: true, invocationId, traceparent, status: result.status, headers: result.headers, body: result.body, ...(fn.module.kind === 'oci' ? { digest: fn.module.digest } : {}) };
    } catch (err) {
      if (err instanceof NodeRuntimeError) return fail(err, stderr);
      return fail(new NodeRuntimeError('Trap', `function ${label}: unexpected failure: ${err instanceof Error ? err.message : String(err)}`, { cause: err }), stderr);
    }
  }
}
