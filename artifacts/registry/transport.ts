import { backoffDelay } from '../../api/backoff.ts';
import { OciError } from '../errors.ts';
import type { OciErrorCode } from '../errors.ts';

/** Timeouts and retry policy of registry requests. */
export interface TransportOptions {
  /** Time to response headers, and the longest pause between body chunks. @default 30000 */
  readonly timeoutMs: number;
  /** Attempts after the first on 429, 5xx, connection loss, truncated bodies. @default 4 */
  readonly retries: number;
  /** First backoff; doubles per attempt with full jitter. @default 250 */
  readonly backoffMs: number;
  /** Ceiling of one backoff, also caps Retry-After. @default 10000 */
  readonly maxBackoffMs: number;
  /** Waits between attempts; injectable so tests need not sleep. @default setTimeout */
  readonly sleep: (ms: number) => Promise<void>;
  /** Jitter source in [0,1). @default Math.random */
  readonly random: () => number;
  /**
   * Abandons the requests and retries when aborted (a node shutting down): the request in flight
   * is cut, no further attempt starts, and the caller gets OciError `Aborted`. @default never
   */
  readonly signal?: AbortSignal;
}

export const DEFAULT_TRANSPORT: TransportOptions = {
  timeoutMs: 30_000,
  retries: 4,
  backoffMs: 250,
  maxBackoffMs: 10_000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  random: Math.random,
};

/** A failure worth another attempt: the registry or the path to it is briefly unwell. */
export class TransientError extends OciError {
  readonly retryAfterMs: number | undefined;
  constructor(code: OciErrorCode, message: string, retryAfterMs?: number, options?: ErrorOptions) {
    super(code, message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Delay before retry `attempt` (1-based): the server's Retry-After when it sent one (capped), else
 * exponential with full jitter (the caller is waiting: the least total wait for the same spread).
 */
export function retryDelay(attempt: number, options: TransportOptions, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxBackoffMs);
  return backoffDelay(attempt, { initialMs: options.backoffMs, maxMs: options.maxBackoffMs, jitter: 'full' }, options.random);
}

/** Parses Retry-After (seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Runs `op` with retries on TransientError; the last error is rethrown as it is. Stops, with `Aborted`, once `options.signal` aborts. */
export async function withRetries<T>(options: TransportOptions, op: (attempt: number) => Promise<T>): Promise<T> {
  const { signal } = options;
  for (let attempt = 0; ; attempt++) {
    if (signal !== undefined && isAborted(signal)) throw abortedError(signal);
    try {
      return await op(attempt);
    } catch (err) {
      // Cut by the caller's signal, not by the registry: never worth another attempt.
      if (signal !== undefined && isAborted(signal)) throw abortedError(signal, err);
      const transient = toTransient(err);
      if (transient === undefined || attempt >= options.retries) throw transient ?? err;
      await abortable(options.sleep(retryDelay(attempt + 1, options, transient.retryAfterMs)), signal);
    }
  }
}

/** Read through a call: `aborted` changes while `op` runs, which TypeScript's narrowing cannot see. */
const isAborted = (signal: AbortSignal): boolean => signal.aborted;

/** The error of a request or retry abandoned because `signal` aborted, with the abort reason in the message. */
export function abortedError(signal: AbortSignal, cause: unknown = signal.reason): OciError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new OciError('Aborted', `abandoned: ${reason}`, { cause });
}

/** `wait`, or rejection with `Aborted` as soon as `signal` aborts. */
async function abortable(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return wait;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([wait, new Promise<never>((_, reject) => signal.addEventListener('abort', (onAbort = () => reject(abortedError(signal))), { once: true }))]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Classifies fetch's own failures (connection refused/reset, aborted by our timer) as transient. */
export function toTransient(err: unknown): TransientError | undefined {
  if (err instanceof TransientError) return err;
  if (err instanceof OciError) return undefined;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new TransientError('Timeout', `expected a response in time, got none (${err.message})`, undefined, { cause: err });
  }
  if (err instanceof TypeError) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return new TransientError('RegistryUnavailable', `expected a registry connection, got ${err.message}${cause}`, undefined, { cause: err });
  }
  return undefined;
}

/**
 * A per-request deadline that stretches while data keeps flowing: `touch()` on every chunk, so a slow
 * but live download survives while a stalled one is cut after `timeoutMs` of silence.
 */
export class StallTimer {
  readonly controller = new AbortController();
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.controller.abort(new DOMException(`no data for ${this.#timeoutMs} ms`, 'TimeoutError')), this.#timeoutMs);
    this.#timer.unref();
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}
