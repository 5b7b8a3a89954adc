/** `FunctionTrigger`: binds a function to an event source (cron, NATS JetStream, MQTT or HTTP). */
import Type from 'typebox';
import type { TOptional } from 'typebox';
import { ConditionsSchema } from './conditions.ts';
import { obj, objectName } from './fields.ts';
import { celRules } from './rules.ts';
import { BROKER_TRIGGER_TYPES, TRIGGER_KINDS, TRIGGER_TYPES, type TriggerType } from './trigger-kinds.ts';

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

/** Each kind's section, optional: the rules below say which one must be set. */
const sections = Object.fromEntries(TRIGGER_TYPES.map((t) => [t, Type.Optional(TRIGGER_KINDS[t].section)])) as {
  [T in TriggerType]: TOptional<(typeof TRIGGER_KINDS)[T]['section']>;
};

/** Broker messages have headers to filter on and a broker to take the dead letters. */
const isMessaging = BROKER_TRIGGER_TYPES.map((t) => `self.type == '${t}'`).join(' || ');

/** "a, b and c". */
const listed = (words: readonly string[], conjunction: string): string => (words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} ${conjunction} ${words.at(-1)}`);

export const FunctionTriggerSpecSchema = obj(
  'Desired state of a FunctionTrigger. Set exactly the source block named by `type`.',
  {
    functionRef: objectName('Name of the WasmFunction (same namespace) the trigger invokes.'),
    type: Type.Enum([...TRIGGER_TYPES], { description: `Event source: ${listed(TRIGGER_TYPES, 'or')}.` }),
    ...sections,
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
    ...TRIGGER_TYPES.map((s) => ({
      rule: `has(self.${s}) == (self.type == '${s}')`,
      message: `spec.${s} must be set when type is ${s} and only then; set the block that matches spec.type`,
      fieldPath: `.${s}`,
    })),
    {
      rule: `!has(self.deadLetter) || ${isMessaging}`,
      message: `deadLetter needs a messaging source: only ${listed(BROKER_TRIGGER_TYPES, 'and')} triggers have one; remove deadLetter`,
      fieldPath: '.deadLetter',
      reason: 'FieldValueForbidden',
    },
    {
      rule: `size(self.filters) == 0 || ${isMessaging}`,
      message: `filters match message headers: only ${listed(BROKER_TRIGGER_TYPES, 'and')} triggers have them; remove filters`,
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
