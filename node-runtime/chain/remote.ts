/**
 * The chain transport between nodes, over NATS request/reply. Every node serves the functions it
 * hosts on `flotilla.invoke.<ns>.<name>` (queue group: one node answers); a node that must run a
 * step it does not host sends the request there. The node that received the event stays the
 * orchestrator, so the event is acknowledged only once the whole chain has run.
 */
import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { RequestMeta } from '../wasi/wagi.ts';
import type { EventInvocationMeta, EventOutcome, FunctionInvoker } from '../triggers/invoker.ts';
import { invokeSubject, INVOKE_QUEUE } from './subjects.ts';

const H = {
  request: 'Flotilla-Request',
  trigger: 'Flotilla-Trigger',
  deadline: 'Flotilla-Deadline',
  ok: 'Flotilla-Ok',
  status: 'Flotilla-Status',
  code: 'Flotilla-Error-Code',
  invocation: 'Flotilla-Invocation-Id',
  headers: 'Flotilla-Headers',
  traceparent: 'traceparent',
} as const;

/** How long a remote step may take when the caller gave no deadline. */
const DEFAULT_REMOTE_TIMEOUT_MS = 30_000;

/** Invokes a function on whichever node hosts it. */
export class RemoteInvoker implements FunctionInvoker {
  private readonly nc: NatsConnection;

  constructor(nc: NatsConnection) {
    this.nc = nc;
  }

  async invoke(functionKey: string, payload: Uint8Array, meta: EventInvocationMeta): Promise<EventOutcome> {
    const h = natsHeaders();
    h.set(H.request, JSON.stringify(meta.request));
    h.set(H.trigger, meta.trigger);
    if (meta.traceparent) h.set(H.traceparent, meta.traceparent);
    const timeout = meta.deadlineMs ? Math.max(1, meta.deadlineMs - Date.now()) : DEFAULT_REMOTE_TIMEOUT_MS;
    if (meta.deadlineMs) h.set(H.deadline, String(meta.deadlineMs));
    let reply: Msg;
    try {
      reply = await this.nc.request(invokeSubject(functionKey), payload, { headers: h, timeout });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        invocationId: '',
        traceparent: meta.traceparent ?? '',
        error: { code: 'RemoteInvokeFailed', message: `no node answered for function ${functionKey} (${message}); is it assigned to a node connected to this NATS server?` },
      };
    }
    const rh = reply.headers;
    const base = { invocationId: rh?.get(H.invocation) ?? '', traceparent: rh?.get(H.traceparent) ?? meta.traceparent ?? '' };
    if (rh?.get(H.ok) === 'true') {
      const headers = JSON.parse(rh.get(H.headers) || '[]') as [string, string][];
      return { ...base, ok: true, status: Number(rh.get(H.status)), headers, body: reply.data };
    }
    return { ...base, ok: false, error: { code: rh?.get(H.code) || 'RemoteInvokeFailed', message: reply.string() } };
  }
}

/** Serves this node's functions to the other nodes' chains. */
export class InvokeService {
  private readonly nc: NatsConnection;
  private readonly local: FunctionInvoker;
  private readonly logger: Logger;
  private readonly subs = new Map<string, Subscription>();

  constructor(nc: NatsConnection, local: FunctionInvoker, logger: Logger) {
    this.nc = nc;
    this.local = local;
    this.logger = logger;
  }

  /** Serves exactly `functionKeys` (the functions assigned to this node) from now on. */
  serve(functionKeys: Iterable<string>): void {
    const want = new Set(functionKeys);
    for (const [fn, sub] of this.subs) {
      if (!want.has(fn)) {
        sub.unsubscribe();
        this.subs.delete(fn);
      }
    }
    for (const fn of want) {
      if (this.subs.has(fn)) continue;
      this.subs.set(fn, this.nc.subscribe(invokeSubject(fn), { queue: INVOKE_QUEUE, callback: (err, msg) => {
        if (err) this.logger.warn({ function: fn, err: err.message }, 'Invoke subscription failed');
        else void this.answer(fn, msg);
      } }));
    }
  }

  close(): void {
    for (const sub of this.subs.values()) sub.unsubscribe();
    this.subs.clear();
  }

  private async answer(fn: string, msg: Msg): Promise<void> {
    const h = msg.headers;
    const reply = natsHeaders();
    let outcome: EventOutcome;
    try {
      const request = JSON.parse(h?.get(H.request) || 'null') as RequestMeta | null;
      if (!request || typeof request.method !== 'string' || typeof request.headers !== 'object') throw new Error(`expected a ${H.request} header with the request, got none`);
      const deadline = Number(h?.get(H.deadline));
      const traceparent = h?.get(H.traceparent);
      outcome = await this.local.invoke(fn, msg.data, {
        trigger: h?.get(H.trigger) || 'chain',
        request,
        ...(traceparent ? { traceparent } : {}),
        ...(deadline > 0 ? { deadlineMs: deadline } : {}),
      });
    } catch (err) {
      outcome = { ok: false, invocationId: '', traceparent: '', error: { code: 'RemoteInvokeFailed', message: `bad invoke request for ${fn}: ${err instanceof Error ? err.message : String(err)}` } };
    }
    reply.set(H.invocation, outcome.invocationId);
    if (outcome.traceparent) reply.set(H.traceparent, outcome.traceparent);
    if (outcome.ok) {
      reply.set(H.ok, 'true');
      reply.set(H.status, String(outcome.status));
      reply.set(H.headers, JSON.stringify(outcome.headers));
      msg.respond(outcome.body, { headers: reply });
    } else {
      reply.set(H.ok, 'false');
      reply.set(H.code, outcome.error.code);
      msg.respond(new TextEncoder().encode(outcome.error.message), { headers: reply });
    }
  }
}
