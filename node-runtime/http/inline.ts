/**
 * A listener thread's own tenant listener: every listener listens on the tenant port
 * (SO_REUSEPORT, the kernel spreads connections across them) and runs a request INLINE when
 * nothing but the function is needed: its route has no retries, circuit breaker, rate limit or auth,
 * every backend is Loaded here (not dormant, not remote, none that can block in a host call or
 * act outside its response: runsInline), the module is linked in this thread and not marked slow,
 * the declared body fits, and the function's concurrency (a counter the pool and every listener
 * share) has room. Everything else goes the slow way, piped to the main thread's handle()
 * (relay.ts). An inline run never holds the listener past INLINE_BUDGET_MS: at the budget the
 * guest is stopped at a deadline check, the run abandoned, the request (its body included) handed
 * off to the main thread with the deadline it got on arrival; a function whose runs do that
 * SLOW_AFTER_OVERRUNS times in a row here is marked slow for SLOW_FOR_MS, for every listener, so its
 * next requests go straight to the pool. Re-running it there is safe because
 * an inline run has no effect outside its response. Counts go to the main thread's metrics in
 * batches and at every scrape.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { SERVED_BY_HEADER } from '../../api/index.ts';
import { callWagi } from '../engine/wagi-call.ts';
import type { DeadlineWatch } from '../engine/deadline.ts';
import type { LoadedModule, ModuleInstances } from '../engine/instances.ts';
import type { SlowMarks } from '../engine/slow-marks.ts';
import type { InlineCounts, InlineFailure, InlineFunction, TenantListener } from '../engine/protocol.ts';
import type { HandoffReason } from './handoff.ts';
import { NodeRuntimeError } from '../errors.ts';
import { childContext, formatTraceparent, parseTraceparent } from '../invoke/trace-context.ts';
import type { RouteDef } from '../resolve/desired-state.ts';
import { cgiEnvironment, type RequestMeta } from '../wasi/wagi.ts';
import { takeForwarding } from './peer.ts';
import { trackRequests, type RequestTracker } from '../drain.ts';
import { Relay } from './relay.ts';
import { pickBackend, RouteTable } from './routes.ts';
import { flatHeaders, readBody, SERVER_OPTIONS, sendError, target, writeAnswer, type Target } from './server.ts';

/** What the worker thread lends its listener: its linked modules, its deadline flag and the shared counters. */
export interface InlineEngine {
  /** The module's instances in this thread; undefined while it is not linked here yet (the link starts). */
  instances(fn: InlineFunction): ModuleInstances | undefined;
  /** After the answer: the instance made pristine, or dropped when that fails. */
  recycle(fn: InlineFunction, instances: ModuleInstances): void;
  readonly deadline: DeadlineWatch;
  /** Running counts per module (index InlineFunction.counter); index 0 holds the pool's queued tasks. */
  readonly counters: Int32Array;
  /** Modules (by counter) sent to the pool for now. */
  readonly slow: SlowMarks;
  /** Called when an inline run ended while the pool had tasks queued. */
  freed(): void;
}

const EMPTY = new Uint8Array(0);

/**
 * Longest an inline run may hold its listener. A plain WAGI request takes microseconds (a hello
 * ~3 µs, a Go one well under a millisecond); a run this long is one that would make the
 * connections queued on this listener wait, so it goes to the pool instead.
 */
export const INLINE_BUDGET_MS = 5;

/** How long a function found slow is sent straight to the pool (a redeploy clears it sooner). */
export const SLOW_FOR_MS = 30_000;

/**
 * Runs in a row past the budget that find a function slow. One is not enough: a first run in a
 * listener also links and tiers up, and a busy machine can preempt the thread mid-run; each run
 * past the budget is handed off all the same, so a second costs one more budget, not a wait.
 */
export const SLOW_AFTER_OVERRUNS = 2;

/** Counts since the last take(), in the shape the main thread adds to its metrics. */
class Counts {
  private http = new Map<string, number>();
  private invocations = new Map<string, [string, string, number]>();
  private durations: number[] = [];
  private coldStarts: [string, number][] = [];
  private failures: InlineFailure[] = [];
  private slowMarked: string[] = [];
  private handoffs: Partial<Record<HandoffReason, number>> = {};
  private handedOff = 0;
  private inline = 0;
  private interrupted = 0;

  get empty(): boolean {
    return this.inline === 0 && this.slowMarked.length === 0 && this.handedOff === 0;
  }

  handedOffFor(reason: HandoffReason): void {
    this.handedOff++;
    this.handoffs[reason] = (this.handoffs[reason] ?? 0) + 1;
  }

  markedSlow(functionKey: string): void {
    this.slowMarked.push(functionKey);
  }

  add(functionKey: string, outcome: string, seconds: number): void {
    this.inline++;
    this.http.set(outcome, (this.http.get(outcome) ?? 0) + 1);
    const key = `${functionKey}\0${outcome}`;
    const n = this.invocations.get(key);
    if (n) n[2]++;
    else this.invocations.set(key, [functionKey, outcome, 1]);
    this.durations.push(seconds);
  }

  cold(functionKey: string, initSeconds: number): void {
    this.coldStarts.push([functionKey, initSeconds]);
  }

  failed(f: InlineFailure): void {
    if (f.code === 'Timeout') this.interrupted++;
    this.failures.push(f);
  }

  take(): InlineCounts {
    const out: InlineCounts = {
      http: Object.fromEntries(this.http),
      invocations: [...this.invocations.values()],
      durations: this.durations,
      coldStarts: this.coldStarts,
      inline: this.inline,
      interrupted: this.interrupted,
      failures: this.failures,
      slowMarked: this.slowMarked,
      handoffs: this.handoffs,
    };
    this.http = new Map();
    this.invocations = new Map();
    this.durations = [];
    this.coldStarts = [];
    this.failures = [];
    this.slowMarked = [];
    this.handoffs = {};
    this.handedOff = 0;
    this.inline = 0;
    this.interrupted = 0;
    return out;
  }
}

/** The worker's tenant listener and what it runs inline. */
export class InlineListener {
  private readonly config: TenantListener;
  private readonly engine: InlineEngine;
  private readonly relay: Relay;
  private readonly server: http.Server;
  private readonly requests: RequestTracker;
  private readonly counts = new Counts();
  private routes = new RouteTable([]);
  private functions = new Map<string, InlineFunction>();
  /** Runs in a row past the budget, per module id (none once a run fits). */
  private readonly overruns = new Map<string, number>();
  /** Inline invocation ids count down from -1: apart from the pool's, which count up. */
  private nextId = -1;

  constructor(config: TenantListener, engine: InlineEngine) {
    this.config = config;
    this.engine = engine;
    this.relay = new Relay(config.relayPort, config.relayToken, config.maxRequestBytes);
    this.server = http.createServer(SERVER_OPTIONS, (req, res) => this.serve(req, res));
    this.requests = trackRequests(this.server);
  }

  /** Shutdown: stops accepting, answers what is in flight (relayed ones included) within `graceMs`; true when all were answered in time. */
  drain(graceMs: number): Promise<boolean> {
    return this.requests.drain(graceMs);
  }

  /** Listens on the tenant port next to the other workers (and nobody else: reusePort needs the same user). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.config.port, host: this.config.host, reusePort: true }, () => resolve());
    });
  }

  /** Takes a new desired state's routes and inline functions. */
  update(routes: readonly RouteDef[], functions: readonly InlineFunction[]): void {
    this.routes = new RouteTable(routes);
    this.functions = new Map(functions.map((f) => [f.key, f]));
  }

  /** The counts since the last call; undefined when there were none. */
  take(): InlineCounts | undefined {
    return this.counts.empty ? undefined : this.counts.take();
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const t = target(req);
    const chosen = this.choose(req, t);
    if (typeof chosen === 'string') {
      this.pass(req, res, chosen);
      return;
    }
    const { fn, route, instances } = chosen;
    const counter = fn.counter;
    if (Atomics.add(this.engine.counters, counter, 1) >= fn.concurrency) {
      this.release(counter);
      this.pass(req, res, 'concurrency');
      return;
    }
    takeForwarding(req.headers, false);
    if (!(Number(req.headers['content-length'] ?? 0) > 0)) {
      req.resume();
      this.run(req, res, t, fn, route, instances, EMPTY);
      return;
    }
    readBody(req, this.config.maxRequestBytes).then(
      (body) => this.run(req, res, t, fn, route, instances, body),
      (err: unknown) => {
        this.release(counter);
        res.destroy(err instanceof Error ? err : undefined);
      },
    );
  }

  /** Relays a request to the main thread (the slow way), counted by why. */
  private pass(req: http.IncomingMessage, res: http.ServerResponse, reason: HandoffReason): void {
    this.counts.handedOffFor(reason);
    this.relay.pass(req, res);
  }

  /** The backend to run inline, or why the request goes the slow way. */
  private choose(req: http.IncomingMessage, t: Target): { fn: InlineFunction; route: RouteDef; instances: ModuleInstances } | HandoffReason {
    if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > this.config.maxRequestBytes) return 'body';
    const match = this.routes.match(t.host, t.path, t.method);
    if (!match) return 'noRoute';
    const { route } = match;
    // A route with auth never runs here: only the main thread's handle() authenticates (server.ts).
    if (route.retries !== undefined || route.circuitBreaker !== undefined || route.rateLimit !== undefined || route.auth !== undefined) return 'routePolicy';
    // All or nothing: picking among the inline backends only would skew the route's weights.
    if (!route.backends.every((b) => b.weight <= 0 || this.functions.has(b.functionKey))) return 'notInline';
    const fn = this.functions.get(route.backends.length === 1 ? match.functionKey : (pickBackend(route, Math.random()) ?? ''));
    if (!fn) return 'notInline';
    if (this.engine.slow.isSlow(fn.counter)) return 'slow';
    const instances = this.engine.instances(fn);
    return instances ? { fn, route, instances } : 'notLinked';
  }

  private release(counter: number): void {
    Atomics.sub(this.engine.counters, counter, 1);
    if (Atomics.load(this.engine.counters, 0) > 0) this.engine.freed();
  }

  /** Counts a run past the budget; the one that makes SLOW_AFTER_OVERRUNS in a row marks the function slow. */
  private overran(fn: InlineFunction): void {
    const n = (this.overruns.get(fn.moduleId) ?? 0) + 1;
    if (n < SLOW_AFTER_OVERRUNS) {
      this.overruns.set(fn.moduleId, n);
      return;
    }
    this.overruns.delete(fn.moduleId);
    this.engine.slow.mark(fn.counter, SLOW_FOR_MS);
    this.counts.markedSlow(fn.key);
  }

  private run(req: http.IncomingMessage, res: http.ServerResponse, t: Target, fn: InlineFunction, route: RouteDef, instances: ModuleInstances, body: Uint8Array): void {
    const started = performance.now();
    const invocationId = randomUUID();
    const traceparentHeader = req.headers.traceparent;
    const trace = childContext(parseTraceparent(typeof traceparentHeader === 'string' ? traceparentHeader : undefined), invocationId);
    const traceparent = formatTraceparent(trace);
    const now = Date.now();
    const deadlineMs = now + Math.min(fn.timeoutMs, route.timeoutMs);
    const socket = req.socket;
    const request: RequestMeta = {
      method: t.method, path: t.path, query: t.query, headers: flatHeaders(req), host: t.host, scheme: 'http',
      serverPort: socket.localPort ?? 0, remoteAddr: socket.remoteAddress ?? '', matchedRoute: route.pathPrefix,
    };
    const env = cgiEnvironment(request, { invocationId, deadlineMs, traceparent }, body.length, fn.env);
    const id = this.nextId;
    this.nextId = this.nextId <= -0x7fff_ffff ? -1 : this.nextId - 1;
    let stderr = '';
    const { nodeName } = this.config;
    // Stopped at the budget, unless the request's own deadline comes first (then a Timeout is its answer).
    const budgetMs = now + INLINE_BUDGET_MS;
    this.engine.deadline.beginInline(id, Math.min(deadlineMs, budgetMs));
    let handOff = false;
    try {
      const out = callWagi(instances, { stdin: body, env, maxResponseBytes: this.config.maxResponseBytes }, (e) => { stderr = e; });
      this.engine.deadline.end();
      if (this.overruns.size > 0) this.overruns.delete(fn.moduleId);
      if (out.cold) this.counts.cold(fn.key, out.initMicros / 1e6);
      this.counts.add(fn.key, 'ok', (performance.now() - started) / 1000);
      const { status, headers, body: answer } = out.response;
      writeAnswer(res, t.method, { invocationId, traceparent, status, headers, body: answer, ...(fn.digest !== undefined ? { digest: fn.digest } : {}) }, nodeName);
    } catch (caught) {
      this.engine.deadline.end();
      const error = caught instanceof NodeRuntimeError ? caught : new NodeRuntimeError('Trap', `function ${fn.key}: unexpected failure: ${caught instanceof Error ? caught.message : String(caught)}`, { cause: caught });
      handOff = error.code === 'Timeout' && budgetMs < deadlineMs;
      if (handOff) return;
      this.counts.add(fn.key, error.code, (performance.now() - started) / 1000);
      this.counts.failed({ invocationId, traceId: trace.traceId, spanId: trace.spanId, function: fn.key, code: error.code, message: error.message, ...(stderr ? { stderr } : {}) });
      res.setHeader('traceparent', traceparent);
      sendError(res, error.code, error.message, { invocationId, headers: { [SERVED_BY_HEADER]: nodeName } });
    } finally {
      // Released before a hand-off: the pool counts the run it starts in the same counter.
      this.release(fn.counter);
      if (handOff) {
        this.overran(fn);
        this.counts.handedOffFor('budget');
        this.relay.handOff(req, res, body, deadlineMs);
      }
      this.engine.recycle(fn, instances);
    }
  }
}

/**
 * Largest initial memory of a module run inline, in 64 KiB pages (16 MiB): the listener resets
 * the instance after each answer, a copy and a fill of that memory, which must stay within about
 * a budget too.
 */
export const INLINE_MAX_INITIAL_PAGES = 256;

/**
 * Whether a module may run inline: one whose guest can stop at a deadline check, that cannot block
 * in a host call (a kv call waits on the main thread; poll_oneoff sleeps; a host path may be a
 * FIFO or a slow disk), whose reset is cheap, and whose run has no effect outside its response
 * (no kv, no host path: it only reads its request and writes its answer). The last is the
 * invariant the hand-off at the inline budget rests on: an abandoned run is run again in the pool,
 * which must not do anything twice. Everything else stays in the pool, where the main thread
 * answers Timeout at the deadline whatever the guest does.
 */
export function runsInline(loaded: LoadedModule): boolean {
  return (
    loaded.layout.interruptible &&
    loaded.layout.initialPages <= INLINE_MAX_INITIAL_PAGES &&
    loaded.capabilities.kv === undefined &&
    (loaded.capabilities.wasi?.preopens.length ?? 0) === 0 &&
    !loaded.layout.imports.some((i) => i.name === 'poll_oneoff')
  );
}
