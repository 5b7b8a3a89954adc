/** `FunctionTrigger`: binds a function to an event source (cron, NATS JetStream, MQTT or HTTP). */
import Type from 'typebox';
import { ConditionsSchema } from './conditions.ts';
import { CRON_PATTERN } from './cron.ts';
import { obj, objectName } from './fields.ts';
import { celRules, celString } from './rules.ts';

/** Event sources a trigger can bind. */
export const TRIGGER_TYPES = ['cron', 'nats', 'mqtt', 'http'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** What happens to cron ticks missed while no node ran the trigger. */
export const MISSED_RUN_POLICIES = ['RunOnce', 'Skip'] as const;
export type MissedRunPolicy = (typeof MISSED_RUN_POLICIES)[number];

const CronSourceSchema = obj(
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
);

const NatsSourceSchema = obj('Consumes a NATS JetStream subject.', {
  url: Type.String({ maxLength: 512, pattern: '^(nats|tls)://[^\\s]+$', description: 'NATS server URL, nats://host:port.' }),
  stream: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^.*>\\s]+$', description: 'JetStream stream name.' }),
  subject: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s]+$', description: 'Subject filter of the consumer; wildcards * and > allowed.' }),
  durable: Type.Optional(Type.String({ maxLength: 255, pattern: '^[A-Za-z0-9_-]+$', description: 'Durable consumer name; defaults to "<namespace>-<trigger>".' })),
});

const MqttSourceSchema = obj('Subscribes to an MQTT topic.', {
  url: Type.String({ maxLength: 512, pattern: '^(mqtt|mqtts|tcp|ssl)://[^\\s]+$', description: 'Broker URL, mqtt://host:port.' }),
  topic: Type.String({ minLength: 1, maxLength: 65535, description: 'Topic filter; wildcards + and # allowed.' }),
  qos: Type.Integer({ minimum: 0, maximum: 2, default: 1, format: 'int32', description: 'Subscription QoS: 0, 1 or 2.' }),
});

const HttpSourceSchema = obj('Serves the function over HTTP through a FunctionRoute.', {
  routeRef: objectName('Name of the FunctionRoute (same namespace) that sends requests to this function.'),
});

const BackoffSchema = obj(
  'Exponential backoff between attempts.',
  {
    initialMs: Type.Integer({ minimum: 1, maximum: 3600000, default: 100, format: 'int32', description: 'Delay before the first retry, in milliseconds.' }),
    maxMs: Type.Integer({ minimum: 1, maximum: 3600000, default: 30000, format: 'int32', description: 'Largest delay between retries, in milliseconds.' }),
    multiplier: Type.Integer({ minimum: 1, maximum: 10, default: 2, format: 'int32', description: 'Factor the delay grows by after each attempt.' }),
  },
  { default: {}, ...celRules({
      rule: 'self.initialMs <= self.maxMs',
      message: 'backoff.initialMs must be <= backoff.maxMs',
      fieldPath: '.initialMs',
    }) },
);

const RetrySchema = obj(
  'Retries of failed deliveries.',
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 3, format: 'int32', description: 'Attempts per event including the first; after the last one the event goes to the dead letter.' }),
    backoff: BackoffSchema,
  },
  { default: {} },
);

const FilterSchema = obj(
  'Matches an event header (NATS header, MQTT user property); events not matching every filter are acknowledged and skipped.',
  {
    key: Type.String({ minLength: 1, maxLength: 256, description: 'Header name.' }),
    operator: Type.Enum(['Equals', 'Prefix', 'Exists'], { default: 'Equals', description: 'Equals, Prefix or Exists.' }),
    value: Type.Optional(Type.String({ maxLength: 1024, description: 'Value to compare with; required unless operator is Exists.' })),
  },
  celRules({ rule: "self.operator == 'Exists' ? !has(self.value) : has(self.value)", message: 'filter.value is required for operators Equals and Prefix and forbidden for Exists', fieldPath: '.value' }),
);

const NextSchema = obj('A function that receives this function\'s output as its input.', {
  functionRef: objectName('Name of the next WasmFunction (same namespace).'),
});

const sources = ['cron', 'nats', 'mqtt', 'http'] as const;

export const FunctionTriggerSpecSchema = obj(
  'Desired state of a FunctionTrigger. Set exactly the source block named by `type`.',
  {
    functionRef: objectName('Name of the WasmFunction (same namespace) the trigger invokes.'),
    type: Type.Enum([...TRIGGER_TYPES], { description: 'Event source: cron, nats, mqtt or http.' }),
    cron: Type.Optional(CronSourceSchema),
    nats: Type.Optional(NatsSourceSchema),
    mqtt: Type.Optional(MqttSourceSchema),
    http: Type.Optional(HttpSourceSchema),
    retry: RetrySchema,
    deadLetter: Type.Optional(
      obj('Where events go after the last failed attempt.', {
        target: Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s]+$', description: 'NATS subject or MQTT topic on the same server as the source.' }),
      }),
    ),
    concurrency: Type.Integer({ minimum: 1, maximum: 1000, default: 1, format: 'int32', description: 'Events delivered to the function at the same time.' }),
    filters: Type.Array(FilterSchema, { maxItems: 16, default: [], description: 'Header filters, all of which must match.' }),
    next: Type.Array(NextSchema, {
      maxItems: 8,
      default: [],
      description: 'Chaining: functions that receive this function\'s output, in order.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['functionRef'],
    }),
  },
  celRules(
    ...sources.map((s) => ({
      rule: `has(self.${s}) == (self.type == '${s}')`,
      message: `spec.${s} must be set when type is ${s} and only then; set the block that matches spec.type`,
      fieldPath: `.${s}`,
    })),
    {
      rule: "!has(self.deadLetter) || self.type == 'nats' || self.type == 'mqtt'",
      message: 'deadLetter needs a messaging source: only nats and mqtt triggers have one; remove deadLetter',
      fieldPath: '.deadLetter',
      reason: 'FieldValueForbidden',
    },
    {
      rule: "size(self.filters) == 0 || self.type == 'nats' || self.type == 'mqtt'",
      message: 'filters match message headers: only nats and mqtt triggers have them; remove filters',
      fieldPath: '.filters',
      reason: 'FieldValueForbidden',
    },
    {
      rule: '!self.next.exists(n, n.functionRef == self.functionRef)',
      message: 'next must not name the trigger\'s own function (a chain cycle); remove it from next',
      fieldPath: '.next',
    },
  ),
);

export const FunctionTriggerStatusSchema = obj('Observed state of a FunctionTrigger.', {
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0, format: 'int64', description: 'metadata.generation the status reflects.' })),
  conditions: Type.Optional(ConditionsSchema),
  lastFireTime: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'When the trigger last delivered an event.' })),
  deliveredTotal: Type.Optional(Type.Integer({ minimum: 0, format: 'int64', description: 'Events delivered since the trigger started.' })),
  deadLetteredTotal: Type.Optional(Type.Integer({ minimum: 0, format: 'int64', description: 'Events sent to the dead letter.' })),
});

export type FunctionTriggerSpec = Type.Static<typeof FunctionTriggerSpecSchema>;
export type FunctionTriggerStatus = Type.Static<typeof FunctionTriggerStatusSchema>;
