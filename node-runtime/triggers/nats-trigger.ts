/**
 * The `nats` source: a JetStream durable pull consumer per trigger, shared by every node running
 * the trigger (JetStream hands each message to one of them). At-least-once: a message is acked
 * only after its whole chain succeeded; a failure is nak'ed with the trigger's backoff; after the
 * last attempt it is published to the dead-letter subject with the error and the original headers,
 * then acked: the dead letter is its handling. (Not `term`: nats-server 2.9 leaves a termed message
 * counted as ack-pending, which would hold back max_ack_pending for good.) A node that dies mid-message never acks it: after ackWait JetStream redelivers it
 * to another node. max_deliver is maxAttempts + 1 so a delivery lost with its node still gets its
 * dead letter instead of vanishing.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerConfig, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { TriggerSection } from '../../api/index.ts';
import { triggerDurable } from '../../api/nats-permissions.ts';
import { TriggerError } from './errors.ts';
import { attempt, deadLetterHeaders } from './delivery.ts';
import type { RunningTrigger, SourceHost, TriggerContext, TriggerDef, TriggerSource } from './definition.ts';
import { normalizeHeaders, type TriggerEvent } from './event.ts';
import { Slots } from './slots.ts';

/** Header a producer sets to receive the chain's final result on that subject. */
export const REPLY_HEADER = 'flotilla-reply-to';

/** The default durable name: "<namespace>-<trigger>". */
export function durableName(def: TriggerDef): string {
  return triggerDurable(def.key, def.spec.nats?.durable);
}

export function natsEvent(def: TriggerDef, m: JsMsg): TriggerEvent {
  const entries: [string, string][] = [];
  if (m.headers) for (const k of m.headers.keys()) for (const v of m.headers.values(k)) entries.push([k, v]);
  const headers = normalizeHeaders(entries);
  const { stream, streamSequence, deliveryCount } = m.info;
  const contentType = headers['content-type'] ?? headers['ce-datacontenttype'];
  return {
    id: headers['ce-id'] ?? headers['nats-msg-id'] ?? `${stream}-${streamSequence}`,
    source: headers['ce-source'] ?? `/nats/${stream}`,
    type: headers['ce-type'] ?? 'dev.flotilla.nats.message',
    subject: m.subject,
    time: headers['ce-time'] ?? new Date(Number(m.info.timestampNanos / 1e6)).toISOString(),
    ...(contentType ? { dataContentType: contentType } : {}),
    headers,
    data: m.data,
    idempotencyKey: `${def.key}:${stream}:${streamSequence}`,
    attempt: deliveryCount,
    ...(headers.traceparent ? { traceparent: headers.traceparent } : {}),
  };
}

/**
 * The NATS source: one connection per server URL, shared by the triggers reading it; the
 * cluster's own connection serves the triggers on the cluster's NATS.
 */
export function natsSource(host: SourceHost): TriggerSource<'nats'> {
  const opened = new Map<string, Promise<NatsConnection>>();
  const connection = (url: string): Promise<NatsConnection> => {
    if (host.cluster?.url === url) return Promise.resolve(host.cluster.connection);
    let c = opened.get(url);
    if (!c) {
      c = connect({ servers: url, name: `flotilla-node-${host.nodeName}` });
      opened.set(url, c);
      c.catch(() => opened.delete(url));
    }
    return c;
  };
  return {
    start: async (def, source) => startNatsTrigger(host, def, source, await connection(source.url)),
    async close() {
      for (const c of opened.values()) await c.then((nc) => nc.drain()).catch(() => undefined);
      opened.clear();
    },
  };
}

async function startNatsTrigger(ctx: TriggerContext, def: TriggerDef, source: TriggerSection<'nats'>, nc: NatsConnection): Promise<RunningTrigger> {
  const durable = durableName(def);
  const maxAttempts = def.spec.retry.maxAttempts;
  const config: Partial<ConsumerConfig> = {
    durable_name: durable,
    filter_subject: source.subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_deliver: maxAttempts + 1,
    ack_wait: nanos(def.ackWaitMs),
  };
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc).catch((err: unknown) => {
    throw new TriggerError('SourceUnavailable', `trigger ${def.key}: JetStream is not available at ${source.url}: ${err instanceof Error ? err.message : String(err)}; run nats-server with -js`, { cause: err });
  });
  try {
    try {
      await jsm.consumers.add(source.stream, config);
    } catch {
      // Exists with an older config (the trigger changed): update what may change in place.
      await jsm.consumers.update(source.stream, durable, { filter_subject: source.subject, max_deliver: maxAttempts + 1, ack_wait: nanos(def.ackWaitMs) });
    }
  } catch (err) {
    throw new TriggerError('SourceUnavailable', `trigger ${def.key}: could not set up the durable consumer ${durable} on stream ${source.stream}: ${err instanceof Error ? err.message : String(err)}; does the stream exist?`, { cause: err });
  }
  const consumer = await js.consumers.get(source.stream, durable);
  const slots = new Slots(def.spec.concurrency);
  let messages: ConsumerMessages | undefined;
  let stopped = false;

  const publishDeadLetter = async (event: TriggerEvent, failure: { code: string; message: string; functionKey?: string }): Promise<void> => {
    const target = def.spec.deadLetter?.target;
    if (!target) {
      ctx.logger.warn({ trigger: def.key, eventId: event.id, code: failure.code }, 'Dropped event after its last attempt: the trigger has no deadLetter');
      return;
    }
    const h = natsHeaders();
    for (const [k, v] of Object.entries(deadLetterHeaders(def, event, failure))) h.set(k, v);
    // A stream that captures the dead-letter subject gets a JetStream publish (stored, confirmed);
    // otherwise a plain publish reaches the subject's subscribers.
    const captured = await jsm.streams.find(target).then(() => true, () => false);
    if (captured) await js.publish(target, event.data, { headers: h });
    else {
      nc.publish(target, event.data, { headers: h });
      await nc.flush();
    }
  };

  const handle = async (m: JsMsg): Promise<void> => {
    const event = natsEvent(def, m);
    try {
      if (event.attempt > maxAttempts) {
        await publishDeadLetter(event, { code: 'DeliveriesExhausted', message: `delivered ${event.attempt} times, the last ${event.attempt - maxAttempts} without an answer (the node running it stopped, or it outlived ackWait ${def.ackWaitMs} ms)` });
        await m.ackAck();
        return;
      }
      const a = await attempt(ctx, def, event);
      if (a.kind === 'skipped') return m.ack();
      if (a.kind === 'ok') {
        const replyTo = event.headers[REPLY_HEADER];
        if (replyTo) {
          const h = natsHeaders();
          h.set('ce-id', event.id);
          h.set('flotilla-status', String(a.result.status));
          if (a.result.traceparent) h.set('traceparent', a.result.traceparent);
          nc.publish(replyTo, a.result.body, { headers: h });
        }
        await m.ackAck();
        return;
      }
      if (a.decision.action === 'retry') return m.nak(a.decision.delayMs);
      await publishDeadLetter(event, a.failure);
      await m.ackAck();
    } catch (err) {
      // Transport trouble (ack lost, dead letter not published): leave it to redelivery.
      ctx.logger.warn({ trigger: def.key, eventId: event.id, err: err instanceof Error ? err.message : String(err) }, 'Event left for redelivery');
      try {
        m.nak(def.spec.retry.backoff.initialMs);
      } catch {
        // Connection gone: ackWait redelivers it.
      }
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        messages = await consumer.consume({ max_messages: def.spec.concurrency });
        for await (const m of messages) await slots.start(() => handle(m));
      } catch (err) {
        if (stopped) return;
        ctx.logger.warn({ trigger: def.key, err: err instanceof Error ? err.message : String(err) }, 'Consumer failed; restarting');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  const running = loop();
  ctx.logger.info({ trigger: def.key, stream: source.stream, subject: source.subject, durable }, 'Started NATS trigger');
  return {
    key: def.key,
    async stop() {
      stopped = true;
      await messages?.close();
      await running;
      await slots.idle();
    },
  };
}
