/**
 * The `mqtt` source: MQTT 5, QoS 1, a shared subscription `$share/<group>/<topic>` so the nodes
 * running the trigger split the topic's load (the broker hands each message to one subscriber).
 * A message is acknowledged (PUBACK) only after its chain succeeded or it went to the dead letter:
 * MQTT has no negative ack, so retries with backoff run here, then the dead letter is published
 * (QoS 1, the error in user properties) and the message acked. mqtt.js reads the next message of a
 * connection only once the previous one is acked, so `concurrency` is reached with that many
 * connections, each a member of the shared group. Sessions persist (clean start off, stable client
 * ids): a message in flight on a node that dies is redelivered when that node's session reconnects.
 * Replies and dead letters go out on one more connection: a consuming connection reads nothing,
 * not even the PUBACK of its own publish, until the message in hand is acknowledged.
 */
import { createHash, randomUUID } from 'node:crypto';
import mqtt, { type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { TriggerSection } from '../../api/index.ts';
import { TriggerError } from './errors.ts';
import { attempt, deadLetterHeaders } from './delivery.ts';
import type { RunningTrigger, SourceHost, TriggerContext, TriggerDef, TriggerSource } from './definition.ts';
import { normalizeHeaders, type TriggerEvent } from './event.ts';

/** Most connections one node opens for one trigger's concurrency. */
export const MAX_MQTT_CONNECTIONS = 16;
/** How long the broker keeps a node's session (and its unacked messages) after it disconnects. */
const SESSION_EXPIRY_SECONDS = 3600;

/** The shared subscription group: the trigger's key, which every node running it shares. */
export function sharedTopic(def: TriggerDef, topic: string): string {
  return `$share/${def.key.replace('/', '_').replaceAll('.', '_')}/${topic}`;
}

export function mqttEvent(def: TriggerDef, topic: string, packet: IPublishPacket, attemptNo: number, fallbackId: string): TriggerEvent {
  const entries: [string, string][] = [];
  for (const [k, v] of Object.entries(packet.properties?.userProperties ?? {})) for (const one of Array.isArray(v) ? v : [v]) entries.push([k, String(one)]);
  const headers = normalizeHeaders(entries);
  const contentType = packet.properties?.contentType ?? headers['content-type'];
  const id = headers['ce-id'] ?? fallbackId;
  return {
    id,
    source: headers['ce-source'] ?? '/mqtt',
    type: headers['ce-type'] ?? 'dev.flotilla.mqtt.message',
    subject: topic,
    time: headers['ce-time'] ?? new Date().toISOString(),
    ...(contentType ? { dataContentType: contentType } : {}),
    headers,
    data: new Uint8Array(packet.payload as Buffer),
    idempotencyKey: `${def.key}:${id}`,
    attempt: attemptNo,
    ...(headers.traceparent ? { traceparent: headers.traceparent } : {}),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The MQTT source: each trigger opens its own connections to the broker its spec names. */
export function mqttSource(host: SourceHost): TriggerSource<'mqtt'> {
  return { start: (def, source) => startMqttTrigger(host, def, source) };
}

async function startMqttTrigger(ctx: TriggerContext, def: TriggerDef, source: TriggerSection<'mqtt'>): Promise<RunningTrigger> {
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const idBase = createHash('sha256').update(`${ctx.nodeName}\n${def.key}`).digest('hex').slice(0, 16);

  const handle = async (publisher: MqttClient, topic: string, packet: IPublishPacket): Promise<void> => {
    const fallbackId = randomUUID();
    let event = mqttEvent(def, topic, packet, 1, fallbackId);
    for (;;) {
      const a = await attempt(ctx, def, event);
      if (a.kind === 'skipped') return;
      if (a.kind === 'ok') {
        const responseTopic = packet.properties?.responseTopic;
        if (responseTopic) {
          await publisher.publishAsync(responseTopic, Buffer.from(a.result.body), {
            qos: 1,
            properties: {
              ...(packet.properties?.correlationData ? { correlationData: packet.properties.correlationData } : {}),
              userProperties: { 'ce-id': event.id, 'flotilla-status': String(a.result.status), ...(a.result.traceparent ? { traceparent: a.result.traceparent } : {}) },
            },
          });
        }
        return;
      }
      if (a.decision.action === 'retry') {
        // Stopping: leave it unacknowledged for the session's next connection rather than drop it.
        if (stopped) throw new Error('trigger stopping');
        await sleep(a.decision.delayMs);
        event = { ...event, attempt: event.attempt + 1 };
        continue;
      }
      const target = def.spec.deadLetter?.target;
      if (target) {
        const opts: IClientPublishOptions = { qos: 1, properties: { userProperties: deadLetterHeaders(def, event, a.failure), ...(event.dataContentType ? { contentType: event.dataContentType } : {}) } };
        await publisher.publishAsync(target, Buffer.from(event.data), opts);
      } else {
        ctx.logger.warn({ trigger: def.key, eventId: event.id, code: a.failure.code }, 'Dropped event after its last attempt: the trigger has no deadLetter');
      }
      return;
    }
  };

  const connections = Math.min(def.spec.concurrency, MAX_MQTT_CONNECTIONS);
  const clients: MqttClient[] = [];
  try {
    const publisher = await mqtt.connectAsync(source.url, { protocolVersion: 5, clientId: `flotilla-${idBase}-out`, reconnectPeriod: 1000 });
    clients.push(publisher);
    for (let i = 0; i < connections; i++) {
      const client: MqttClient = mqtt.connect(source.url, {
        protocolVersion: 5,
        clientId: `flotilla-${idBase}-${i}`,
        clean: false,
        properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS, receiveMaximum: 1 },
        reconnectPeriod: 1000,
        customHandleAcks: (topic, message, packet, done) => {
          const p = handle(publisher, topic, packet as IPublishPacket)
            .then(() => done(0))
            .catch((err: unknown) => {
              // Not acknowledged: the broker redelivers it when this session reconnects.
              ctx.logger.warn({ trigger: def.key, err: err instanceof Error ? err.message : String(err) }, 'MQTT message left unacknowledged');
              client.end(true, {}, () => client.reconnect());
            })
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        },
      });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      await client.subscribeAsync(sharedTopic(def, source.topic), { qos: source.qos as 0 | 1 | 2 });
    }
  } catch (err) {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    throw new TriggerError('SourceUnavailable', `trigger ${def.key}: could not subscribe to ${source.topic} at ${source.url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  ctx.logger.info({ trigger: def.key, topic: source.topic, connections }, 'Started MQTT trigger');
  return {
    key: def.key,
    async stop() {
      stopped = true;
      await Promise.allSettled([...inFlight]);
      await Promise.all(clients.map((c) => c.endAsync()));
    },
  };
}
