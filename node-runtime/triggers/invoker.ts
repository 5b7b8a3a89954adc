/**
 * The one seam triggers and chains call: run a function on this node with a payload and a request
 * description. Structurally the runtime's `invoke(functionKey, payload, meta)` (node-runtime/invoke/),
 * kept narrow here so triggers are thin adapters handed a ready invoker (Spin's trigger model).
 */
import type { RequestMeta } from '../wasi/wagi.ts';

export interface EventInvocationMeta {
  /** Which trigger invoked, for logs and metrics: "cron", "nats", "mqtt", "chain". */
  readonly trigger: string;
  /** The event described as the HTTP request the function sees (WAGI: a POST). */
  readonly request: RequestMeta;
  readonly traceparent?: string;
  readonly deadlineMs?: number;
}

interface OutcomeBase {
  readonly invocationId: string;
  /** The invocation's own span (same trace id as the caller's). */
  readonly traceparent: string;
}

export type EventOutcome =
  | (OutcomeBase & { readonly ok: true; readonly status: number; readonly headers: readonly (readonly [string, string])[]; readonly body: Uint8Array })
  | (OutcomeBase & { readonly ok: false; readonly error: { readonly code: string; readonly message: string } });

export interface FunctionInvoker {
  invoke(functionKey: string, payload: Uint8Array, meta: EventInvocationMeta): Promise<EventOutcome>;
}
