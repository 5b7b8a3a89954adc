import { describe, expect, it } from 'vitest';
import { API_VERSION } from './group.ts';
import { BROKER_TRIGGER_TYPES, TRIGGER_KINDS, brokerEndpoint } from './trigger-kinds.ts';
import { validateFunctionTrigger } from './validators.ts';

const trigger = (spec: Record<string, unknown>) => validateFunctionTrigger({ apiVersion: API_VERSION, kind: 'FunctionTrigger', metadata: { name: 't' }, spec: { functionRef: 'f', ...spec } });
const broker = { nats: { stream: 'S', subject: 'a.b' }, mqtt: { topic: 't' } } as const;

describe('brokerEndpoint', () => {
  it.each([
    ['nats://n.example:4333', 4333],
    ['nats://n.example', 4222],
    ['tls://n.example', 4222],
  ])('reads the port a nats trigger dials: %s → %d', (url, port) => {
    expect(brokerEndpoint({ type: 'nats', nats: { url } })).toEqual({ url, port });
  });

  it.each([
    ['mqtt://m.example', 1883],
    ['tcp://m.example', 1883],
    ['mqtts://m.example', 8883],
    ['ssl://m.example', 8883],
    ['mqtt://m.example:11883/', 11883],
  ])('reads the port an mqtt trigger dials: %s → %d', (url, port) => {
    expect(brokerEndpoint({ type: 'mqtt', mqtt: { url } })).toEqual({ url, port });
  });

  it('has no broker for cron and http triggers', () => {
    expect(brokerEndpoint({ type: 'cron' })).toBeUndefined();
    expect(brokerEndpoint({ type: 'http' })).toBeUndefined();
  });
});

describe('the table drives the FunctionTrigger schema', () => {
  it.each(BROKER_TRIGGER_TYPES.flatMap((t) => Object.keys(TRIGGER_KINDS[t].broker.defaultPorts).map((scheme) => [t, scheme] as const)))(
    'a %s trigger accepts a %s:// URL',
    (type, scheme) => {
      const r = trigger({ type, [type]: { ...broker[type], url: `${scheme}://broker.example` } });
      expect(r.ok ? [] : r.errors).toEqual([]);
    },
  );

  it('refuses a scheme of another broker', () => {
    expect(trigger({ type: 'nats', nats: { ...broker.nats, url: 'mqtt://broker.example' } }).ok).toBe(false);
  });

  it('allows deadLetter and filters on broker kinds only', () => {
    const delivery = { deadLetter: { target: 'dead' }, filters: [{ key: 'k', operator: 'Exists' }] };
    expect(trigger({ type: 'mqtt', mqtt: { ...broker.mqtt, url: 'mqtt://m.example' }, ...delivery }).ok).toBe(true);
    const r = trigger({ type: 'cron', cron: { schedule: '@daily' }, ...delivery });
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([
      expect.stringContaining('only nats and mqtt triggers have one'),
      expect.stringContaining('only nats and mqtt triggers have them'),
    ]);
  });
});
