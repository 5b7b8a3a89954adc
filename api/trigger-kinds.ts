/**
 * Every trigger kind in one table: what the FunctionTrigger schema and its rules, the operator's
 * placement, the constructs' checks and the node's trigger sources know about a kind. A kind's
 * settings live in the spec section named like the kind (`spec.type: nats` → `spec.nats`), so the
 * table's key is both. Adding a kind: an entry here, an adapter in node-runtime/triggers/ (the
 * compiler asks for it) and that adapter's test.
 */
import Type from 'typebox';
import type { Static, TObject, TString } from 'typebox';
import { CRON_PATTERN } from './cron.ts';
import { obj, objectName } from './fields.ts';
import { celRules, celString } from './rules.ts';

/** What happens to cron ticks missed while no node ran the trigger. */
export const MISSED_RUN_POLICIES = ['RunOnce', 'Skip'] as const;
export type MissedRunPolicy = (typeof MISSED_RUN_POLICIES)[number];

/** A message broker a source connects to, by the URL schemes its `url` accepts. */
export interface Broker {
  /** URL scheme → the port it dials when the URL names none (what a NetworkPolicy must open). */
  readonly defaultPorts: Readonly<Record<string, number>>;
}

/** What the code outside the schema needs to know about one trigger kind. */
interface TriggerKindFacts {
  /**
   * Which nodes of the function's placement run it: `first`, when every copy would act (a cron
   * firing N times, an MQTT message handled N times), or `every` (a JetStream queue, HTTP).
   */
  readonly nodes: 'first' | 'every';
  /** How a node runs it: a trigger source (node-runtime/triggers/) or a FunctionRoute. */
  readonly servedBy: 'source' | 'route';
}

/**
 * One table entry. A kind with a broker consumes messages: they have headers (`filters`), and the
 * broker takes the dead letters (`deadLetter`); its section has the broker's `url`.
 */
export type TriggerKind = TriggerKindFacts & ({ readonly section: TObject; readonly broker?: undefined } | { readonly section: TObject<{ url: TString }>; readonly broker: Broker });

const NATS: Broker = { defaultPorts: { nats: 4222, tls: 4222 } };
const MQTT: Broker = { defaultPorts: { mqtt: 1883, mqtts: 8883, tcp: 1883, ssl: 8883 } };

/** The `url` field of a broker kind's section: one of the broker's schemes. */
function brokerUrl(broker: Broker, description: string) {
  return Type.String({ maxLength: 512, pattern: `^(${Object.keys(broker.defaultPorts).join('|')})://[^\\s]+$`, description });
}

/** The trigger kinds, in the order the CRD lists them. */
export const TRIGGER_KINDS = {
  cron: {
    nodes: 'first',
    servedBy: 'source',
    section: obj(
      'Fires on a schedule.',
      {
        schedule: Type.String({
          minLength: 1,
          maxLength: 256,
          description: 'Five-field cron schedule (minute hour day-of-month month day-of-week, numbers, ranges, lists, steps) or @hourly, @daily, @weekly, @monthly, @yearly.',
        }),
        timeZone: Type.String({ maxLength: 64, default: 'UTC', pattern: '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$', description: 'IANA time zone the schedule is read in.' }),
        payload: Type.String({ maxLength: 65536, default: '', description: 'Request body handed to the function on every tick.' }),
        missedRuns: Type.Enum([...MISSED_RUN_POLICIES], {
          default: 'RunOnce',
          description:
            'What a node does at start when the latest tick was not fired by any node (all were down): RunOnce fires it late, once, however many ticks were missed; Skip waits for the next tick.',
        }),
      },
      celRules({
        rule: `self.schedule.matches(${celString(CRON_PATTERN)})`,
        message: 'cron.schedule is not a valid schedule: expected five fields "minute hour day-of-month month day-of-week" (e.g. "*/5 * * * *") or @hourly/@daily/@weekly/@monthly/@yearly',
        fieldPath: '.schedule',
      }),
    ),
  },
  nats: {
    nodes: 'every',
    servedBy: 'source',
    broker: NATS,
    section: obj('Consumes a NATS JetStream subject.', {
      url: brokerUrl(NATS, 'NATS server URL, nats://host:port.'),
      stream: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^.*>\\s]+$', description: 'JetStream stream name.' }),
      subject: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s]+$', description: 'Subject filter of the consumer; wildcards * and > allowed.' }),
      durable: Type.Optional(Type.String({ maxLength: 255, pattern: '^[A-Za-z0-9_-]+$', description: 'Durable consumer name; defaults to "<namespace>-<trigger>".' })),
    }),
  },
  mqtt: {
    nodes: 'first',
    servedBy: 'source',
    broker: MQTT,
    section: obj('Subscribes to an MQTT topic.', {
      url: brokerUrl(MQTT, 'Broker URL, mqtt://host:port.'),
      topic: Type.String({ minLength: 1, maxLength: 65535, description: 'Topic filter; wildcards + and # allowed.' }),
      qos: Type.Integer({ minimum: 0, maximum: 2, default: 1, format: 'int32', description: 'Subscription QoS: 0, 1 or 2.' }),
    }),
  },
  http: {
    nodes: 'every',
    servedBy: 'route',
    section: obj('Serves the function over HTTP through a FunctionRoute.', {
      routeRef: objectName('Name of the FunctionRoute (same namespace) that sends requests to this function.'),
    }),
  },
} as const satisfies Record<string, TriggerKind>;

type Kinds = typeof TRIGGER_KINDS;

/** A value of `spec.type`: the event source a trigger binds. */
export type TriggerType = keyof Kinds;
/** Kinds a node runs as a trigger source. */
export type SourceTriggerType = { [T in TriggerType]: Kinds[T]['servedBy'] extends 'source' ? T : never }[TriggerType];
/** Kinds that consume a broker's messages. */
export type BrokerTriggerType = { [T in TriggerType]: Kinds[T] extends { readonly broker: Broker } ? T : never }[TriggerType];
/** The validated (defaulted) settings of a kind: `spec.<type>`. */
export type TriggerSection<T extends TriggerType> = Static<Kinds[T]['section']>;

/** Event sources a trigger can bind. */
export const TRIGGER_TYPES = Object.keys(TRIGGER_KINDS) as TriggerType[];

/** Kinds that consume a broker's messages, in table order. */
export const BROKER_TRIGGER_TYPES = TRIGGER_TYPES.filter((t): t is BrokerTriggerType => (TRIGGER_KINDS[t] as TriggerKind).broker !== undefined);

/**
 * The broker a trigger reads and the port it dials there (the URL's own, else its scheme's
 * default); undefined for kinds without a broker. The port is undefined for a URL no schema allows.
 */
export function brokerEndpoint(spec: { readonly type: TriggerType } & { readonly [T in BrokerTriggerType]?: { readonly url: string } }): { url: string; port: number | undefined } | undefined {
  const kind: TriggerKind = TRIGGER_KINDS[spec.type];
  if (kind.broker === undefined) return undefined;
  const url = spec[spec.type as BrokerTriggerType]?.url;
  if (url === undefined) return undefined;
  const parsed = /^([a-z]+):\/\/[^/:]+(?::(\d+))?/.exec(url);
  return { url, port: parsed?.[2] !== undefined ? Number(parsed[2]) : kind.broker.defaultPorts[parsed?.[1] ?? ''] };
}
