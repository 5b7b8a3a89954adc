/** Messages between the node's main thread and its invocation workers (structured-cloned). */
import type { SerializedError } from '../errors.ts';
import type { RouteDef } from '../resolve/desired-state.ts';
import type { LoadedModule } from './instances.ts';
import type { HandoffReason } from '../http/handoff.ts';

/** What every worker thread starts with (worker-main.ts). */
export interface WorkerData {
  /** Its deadline flag (deadline.ts). */
  readonly deadline: SharedArrayBuffer;
  /** The pool's running counts per module (index 0: the queue length). */
  readonly counters: SharedArrayBuffer;
  /** The marks of modules moved off the inline path, and their epoch (slow-marks.ts). */
  readonly slow: SharedArrayBuffer;
  readonly slowEpochMs: number;
}

export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  /** Identity of the loaded module (function + digest + limits); the worker caches instances by it. */
  readonly moduleId: string;
  /** Sent the first time this worker sees `moduleId`: a compiled WebAssembly.Module clones cheaply. */
  readonly module?: LoadedModule;
  readonly stdin: Uint8Array;
  /** The env entries joined with NUL: one string clones far cheaper than an array of them. */
  readonly envBlock: string;
  readonly maxResponseBytes: number;
}

export interface DropMessage {
  readonly type: 'drop';
  readonly moduleId: string;
}

export type ToWorker = InvokeMessage | DropMessage | ToWorkerControl;

interface DoneBase {
  readonly type: 'done';
  readonly id: number;
  readonly stderr: string;
  /** Live instances in this worker after the call. */
  readonly instances: number;
}

export interface DoneOk extends DoneBase {
  readonly ok: true;
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  readonly cold: boolean;
  readonly initMicros: number;
}

export interface DoneFailed extends DoneBase {
  readonly ok: false;
  readonly error: SerializedError;
}

export type FromWorker = DoneOk | DoneFailed | FromWorkerControl;

/** A function the workers may run inline on their own tenant listener (http/inline.ts). */
export interface InlineFunction {
  readonly key: string;
  readonly moduleId: string;
  /** Sent the first time a worker is told about `moduleId`, as with InvokeMessage. */
  readonly module?: LoadedModule;
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly timeoutMs: number;
  readonly concurrency: number;
  /** Index of the module's running count in the pool's shared counters (pool tasks and inline runs together). */
  readonly counter: number;
  readonly digest?: string;
}

/** The routes and inline functions of the desired state, posted to every worker on each change. */
export interface TableMessage {
  readonly type: 'table';
  readonly routes: readonly RouteDef[];
  readonly functions: readonly InlineFunction[];
}

/** Starts the worker's tenant listener (once, right after the worker starts). */
export interface ListenMessage {
  readonly type: 'listen';
  readonly tenant: TenantListener;
}

/** Asks the worker for its counts since the last flush (a /metrics scrape waits for them). */
export interface FlushMessage {
  readonly type: 'flush';
  readonly id: number;
}

/** What a worker needs to serve the tenant port itself. */
export interface TenantListener {
  readonly host: string;
  readonly port: number;
  /** The main thread's internal listener (127.0.0.1) for what a worker does not run inline. */
  readonly relayPort: number;
  /** Proves a relayed request came from a worker of this node (http/relay.ts). */
  readonly relayToken: string;
  readonly nodeName: string;
  readonly maxRequestBytes: number;
  readonly maxResponseBytes: number;
  /** The worker's index in the pool: the worker label of flotilla_http_inline_requests_total. */
  readonly worker: number;
}

/** Counts of a worker's inline requests since its last report, for the main thread's metrics. */
export interface InlineCounts {
  readonly http: Readonly<Record<string, number>>;
  /** [function, outcome, count] */
  readonly invocations: readonly (readonly [string, string, number])[];
  /** Seconds, one per invocation. */
  readonly durations: readonly number[];
  /** [function, init seconds] per cold start. */
  readonly coldStarts: readonly (readonly [string, number])[];
  readonly inline: number;
  readonly interrupted: number;
  /** Functions this listener marked slow (their inline runs passed the inline budget), one entry each time. */
  readonly slowMarked: readonly string[];
  /** Failed inline invocations, to log as the invoker logs its own. */
  readonly failures: readonly InlineFailure[];
  /** Requests sent the slow way, per reason (only reasons that happened). */
  readonly handoffs: Readonly<Partial<Record<HandoffReason, number>>>;
}

export interface InlineFailure {
  readonly invocationId: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly function: string;
  readonly code: string;
  readonly message: string;
  readonly stderr?: string;
}

export interface CountsMessage {
  readonly type: 'counts';
  /** The flush it answers; 0 for a periodic report. */
  readonly id: number;
  readonly counts: InlineCounts;
}

export interface ListeningMessage {
  readonly type: 'listening';
  readonly error?: string;
}

/** An inline run ended and the pool has tasks queued: they may start now (shared counters went down). */
export interface FreedMessage {
  readonly type: 'freed';
}

/** Shutdown of a listener: stop accepting, answer what is in flight within `graceMs`. */
export interface DrainMessage {
  readonly type: 'drain';
  readonly graceMs: number;
}

/** The listener's drain ended: `inTime` when every request in flight was answered within the grace. */
export interface DrainedMessage {
  readonly type: 'drained';
  readonly inTime: boolean;
}

export type ToWorkerControl = TableMessage | ListenMessage | FlushMessage | DrainMessage;
export type FromWorkerControl = CountsMessage | ListeningMessage | FreedMessage | DrainedMessage;
