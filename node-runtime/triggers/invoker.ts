/**
 * The one seam triggers and chains call: the runtime's `invoke(functionKey, payload, meta)`
 * (node-runtime/invoke/), seen narrowly so triggers are thin adapters handed a ready invoker
 * (Spin's trigger model) and can be driven by anything that answers with the same shape.
 */
import type { InvocationMeta, InvocationOutcome } from '../invoke/invoker.ts';

/** How a trigger describes its event: which trigger ("cron", "nats", "mqtt", "chain"), the request (a POST), trace and deadline. */
export type EventInvocationMeta = InvocationMeta;

type Failure = Extract<InvocationOutcome, { ok: false }>;

/** An invocation's outcome as triggers read it: the failure only by its code and message. */
export type EventOutcome =
  | Extract<InvocationOutcome, { ok: true }>
  | (Omit<Failure, 'error'> & { readonly error: { readonly code: string; readonly message: string } });

export interface FunctionInvoker {
  invoke(functionKey: string, payload: Uint8Array, meta: EventInvocationMeta): Promise<EventOutcome>;
}
