/**
 * The node's Prometheus metrics (prom-client), one registry per node; names follow Prometheus conventions.
 * Cardinality: a node may hold ten thousand functions, so the series every invocation touches
 * carry the function only on counters (one series per function and outcome); latency histograms
 * (a series per bucket) are per node. A scrape at 10k functions stays within tens of ms
 * (bench/runtime/metrics-scrape.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InlineCounts } from '../engine/protocol.ts';
import { HANDOFF_REASONS, type HandoffReason } from '../http/handoff.ts';
import { PLACEMENT_STAGES, type PlacementStage } from './placement-stages.ts';

const LATENCY_BUCKETS = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A cold start's hold spans the operator's placement and a load (tens of ms to seconds), up to the hold limit (30 s by default, --cold-start-wait-ms). */
const HOLD_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];

export interface NodeMetrics {
  readonly registry: Registry;
  readonly invocations: Counter<'function' | 'outcome'>;
  readonly duration: Histogram;
  readonly coldStarts: Counter<'function'>;
  readonly initDuration: Histogram;
  readonly instances: Gauge;
  readonly queueDepth: Gauge;
  readonly workerReplacements: Counter<'reason'>;
  readonly interruptions: Counter;
  readonly modulePulls: Counter<'outcome'>;
  readonly cacheRequests: Counter<'cache' | 'result'>;
  readonly cacheEvictions: Counter;
  readonly signatures: Counter<'result'>;
  readonly loadStage: Histogram<'stage'>;
  /** flotilla_placement_stage_seconds, one child per stage (metrics/placement-stages.ts). */
  readonly placementStage: Readonly<Record<PlacementStage, Histogram.Internal<'stage'>>>;
  readonly httpRequests: Counter<'outcome'>;
  readonly httpRetries: Counter<'route'>;
  /** Requests a worker ran inline on its own tenant listener, per worker index. */
  readonly httpInline: Counter<'worker'>;
  /** flotilla_http_handoffs_total, one child per reason, bound once (no label lookup per batch). */
  readonly httpHandoffs: Readonly<Record<HandoffReason, Counter.Internal>>;
  /** Requests this node forwarded to another node running the function (cluster mode), by outcome. */
  readonly httpForwarded: Counter<'function' | 'outcome'>;
  readonly peerAuth: Counter<'result'>;
  readonly circuitOpened: Counter<'route' | 'function'>;
  readonly triggerEvents: Counter<'function' | 'trigger' | 'outcome'>;
  readonly deadLetters: Counter<'function' | 'trigger'>;
  readonly heldRequests: Gauge<'function'>;
  readonly heldOutcomes: Counter<'function' | 'outcome'>;
  readonly coldStartWait: Histogram<'function'>;
  readonly prePulls: Counter<'outcome'>;
}

/** Read at scrape time, like the pool's gauges. */
export interface MetricGauges {
  readonly instances: () => number;
  readonly queued: () => number;
  /** Requests held for dormant functions now, per function key (WaitingRoom.waiting). */
  readonly held?: () => ReadonlyMap<string, number>;
}

/** Creates the metrics; `gauges` are read at scrape time. */
export function createMetrics(gauges: MetricGauges, defaults = true): NodeMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'flotilla_node_' });
  const registers = [registry];
  const handoffs = new Counter({
    name: 'flotilla_http_handoffs_total',
    help: `Requests a listener thread sent to the main thread instead of running them inline, by reason: ${HANDOFF_REASONS.join(', ')} (http/handoff.ts); every reason has its series from the start.`,
    labelNames: ['reason'],
    registers,
  });
  const placement = new Histogram({
    name: 'flotilla_placement_stage_seconds',
    help: 'Time from a function\'s placement on this node (the desired state that placed it: deploy, re-wake after scale to zero, restart) to each stage: loaded (module verified and compiled), inline (runnable on the listener threads).',
    labelNames: ['stage'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  return {
    registry,
    placementStage: Object.fromEntries(PLACEMENT_STAGES.map((stage) => [stage, placement.labels({ stage })])) as Record<PlacementStage, Histogram.Internal<'stage'>>,
    httpHandoffs: Object.fromEntries(HANDOFF_REASONS.map((reason) => {
      const child = handoffs.labels({ reason });
      child.inc(0);
      return [reason, child];
    })) as Record<HandoffReason, Counter.Internal>,
    invocations: new Counter({ name: 'flotilla_invocations_total', help: 'Function invocations by outcome (ok or the failure code).', labelNames: ['function', 'outcome'], registers }),
    duration: new Histogram({ name: 'flotilla_invocation_duration_seconds', help: 'Invocation latency from dispatch to result, queueing included, across the node\'s functions (per function: flotilla_invocations_total).', buckets: LATENCY_BUCKETS, registers }),
    coldStarts: new Counter({ name: 'flotilla_cold_starts_total', help: 'Invocations that had to instantiate their module on the request path.', labelNames: ['function'], registers }),
    initDuration: new Histogram({ name: 'flotilla_instance_init_duration_seconds', help: 'Instantiation time of cold starts, across the node\'s functions (per function: flotilla_cold_starts_total).', buckets: LATENCY_BUCKETS, registers }),
    instances: new Gauge({ name: 'flotilla_instances', help: 'Live module instances across the worker threads.', registers, collect() { this.set(gauges.instances()); } }),
    queueDepth: new Gauge({ name: 'flotilla_queue_depth', help: 'Invocations waiting for a worker.', registers, collect() { this.set(gauges.queued()); } }),
    workerReplacements: new Counter({ name: 'flotilla_worker_replacements_total', help: 'Worker threads terminated and replaced: crash, or timeout (a guest past its deadline that did not stop at a deadline check).', labelNames: ['reason'], registers }),
    interruptions: new Counter({ name: 'flotilla_invocations_interrupted_total', help: 'Invocations past their deadline stopped at a deadline check compiled into the module; the worker served on.', registers }),
    modulePulls: new Counter({ name: 'flotilla_module_pulls_total', help: 'Module pulls from a registry or layout by outcome.', labelNames: ['outcome'], registers }),
    cacheRequests: new Counter({ name: 'flotilla_module_cache_requests_total', help: 'Module cache lookups (memory: compiled modules; disk: verified artifacts) by result.', labelNames: ['cache', 'result'], registers }),
    cacheEvictions: new Counter({ name: 'flotilla_module_cache_evictions_total', help: 'Disk cache entries evicted or removed.', registers }),
    signatures: new Counter({ name: 'flotilla_signature_verifications_total', help: 'Signature verifications by result (Verified or the refusal reason).', labelNames: ['result'], registers }),
    loadStage: new Histogram({ name: 'flotilla_module_load_stage_duration_seconds', help: 'Time spent in each loading stage.', labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers }),
    httpRequests: new Counter({ name: 'flotilla_http_requests_total', help: 'HTTP requests by outcome (ok or the failure code: RateLimited, CircuitOpen, ...).', labelNames: ['outcome'], registers }),
    httpForwarded: new Counter({ name: 'flotilla_http_forwarded_total', help: 'Requests forwarded to another node of the pool that runs the function (it runs elsewhere only), by outcome: ok, or the failure code (ForwardFailed: no node running it could be reached; the remote node\'s code otherwise).', labelNames: ['function', 'outcome'], registers }),
    peerAuth: new Counter({ name: 'flotilla_peer_auth_total', help: 'Forwarded requests on the peer (admin) port by peer authentication result: ok, or why the credential was refused (MissingCredential, BadSignature, WrongAudience, NotAPeer, ...; a closed set).', labelNames: ['result'], registers }),
    httpInline: new Counter({ name: 'flotilla_http_inline_requests_total', help: 'Requests a worker thread ran inline on its own tenant listener (the others went through the main thread), per worker index (at most --workers series); also counted in flotilla_http_requests_total.', labelNames: ['worker'], registers }),
    httpRetries: new Counter({ name: 'flotilla_http_retries_total', help: 'Extra attempts made by route retries (spec.retries), per route.', labelNames: ['route'], registers }),
    circuitOpened: new Counter({ name: 'flotilla_circuit_opened_total', help: 'Times a route backend circuit opened (spec.circuitBreaker), per route and function.', labelNames: ['route', 'function'], registers }),
    triggerEvents: new Counter({
      name: 'flotilla_trigger_events_total',
      help: 'Event deliveries handled by triggers, by outcome: ok, retry (failed, redelivered later), deadLetter, skipped (filtered out).',
      labelNames: ['function', 'trigger', 'outcome'],
      registers,
    }),
    deadLetters: new Counter({ name: 'flotilla_trigger_dead_letters_total', help: 'Events handed to the dead letter (or dropped without one) after their last attempt.', labelNames: ['function', 'trigger'], registers }),
    heldRequests: new Gauge({
      name: 'flotilla_held_requests',
      help: 'Requests held now for a dormant function while it is placed here and loaded (scale from zero).',
      labelNames: ['function'],
      registers,
      collect() {
        // Reset first: a function nobody waits for any more has no series rather than a stale one.
        this.reset();
        for (const [fn, n] of gauges.held?.() ?? []) this.set({ function: fn }, n);
      },
    }),
    heldOutcomes: new Counter({
      name: 'flotilla_held_requests_total',
      help: 'How requests for a dormant function ended: served (loaded, went on to the invoker), timeout (not ready within the hold limit), failed (its load failed or it is no longer routed here), rejected (too many held already, 503), abandoned (the client went away), shutdown (the node stopped).',
      labelNames: ['function', 'outcome'],
      registers,
    }),
    coldStartWait: new Histogram({ name: 'flotilla_cold_start_wait_seconds', help: 'Time a request was held for a dormant function, whatever its outcome (rejected ones are not held).', labelNames: ['function'], buckets: HOLD_BUCKETS, registers }),
    prePulls: new Counter({ name: 'flotilla_prepulls_total', help: 'Background pre-pulls of dormant modules by outcome: pulled (into the disk cache), cached (already there), skipped (no room without evicting a module in use), failed (retried with backoff).', labelNames: ['outcome'], registers }),
  };
}

/** Adds what worker `worker` ran inline to the node's series: the same ones a request through the main thread counts in. */
export function addInlineCounts(m: NodeMetrics, c: InlineCounts, worker: number): void {
  m.httpInline.inc({ worker: String(worker) }, c.inline);
  for (const [outcome, n] of Object.entries(c.http)) m.httpRequests.inc({ outcome }, n);
  for (const [fn, outcome, n] of c.invocations) m.invocations.inc({ function: fn, outcome }, n);
  for (const seconds of c.durations) m.duration.observe(seconds);
  for (const [fn, seconds] of c.coldStarts) {
    m.coldStarts.inc({ function: fn });
    m.initDuration.observe(seconds);
  }
  if (c.interrupted > 0) m.interruptions.inc(c.interrupted);
  for (const reason of HANDOFF_REASONS) {
    const n = c.handoffs[reason];
    if (n !== undefined) m.httpHandoffs[reason].inc(n);
  }
}
