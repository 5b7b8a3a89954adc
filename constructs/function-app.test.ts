import { describe, expect, it } from 'vitest';
import { MODULE_REF } from '../api/testdata/bad-inputs.ts';
import { validateObject } from '../api/index.ts';
import type { FlotillaKind } from '../api/index.ts';
import { FunctionApp } from './function-app.ts';
import { synthObjects, testChart } from './testing.ts';

const CANARY = MODULE_REF.replace(/@sha256:.*/, `@sha256:${'f'.repeat(64)}`);

describe('FunctionApp', () => {
  it('declares function, canary, weighted route and http/cron/event triggers that agree with each other', () => {
    const chart = testChart();
    const app = new FunctionApp(chart, 'shop', {
      module: MODULE_REF,
      limits: { memoryPages: 128 },
      capabilities: { env: [{ name: 'DB', value: 'db.example:5432' }] },
      scaling: { minInstances: 2, maxInstances: 6 },
      runtime: { version: '1.2.3', trustPolicy: 'fleet', ceilings: { memoryPages: 256 } },
      http: { host: 'shop.example', pathPrefix: '/api', canary: { module: CANARY, weight: 20 } },
      schedules: ['0 3 * * *'],
      events: [{ nats: { url: 'nats://127.0.0.1:4222', stream: 'ORDERS', subject: 'orders.new' }, deadLetter: 'orders.dead' }],
    });
    const objs = synthObjects(chart) as { kind: FlotillaKind; metadata: { name: string }; spec: Record<string, unknown> }[];
    expect(objs).toMatchSnapshot();
    for (const o of objs) expect(validateObject(o.kind, o).ok, `${o.kind} ${o.metadata.name}`).toBe(true);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'FunctionRoute/shop',
      'FunctionTrigger/shop-canary-http',
      'FunctionTrigger/shop-cron-0',
      'FunctionTrigger/shop-http',
      'FunctionTrigger/shop-nats-0',
      'WasmFunction/shop',
      'WasmFunction/shop-canary',
      'WasmRuntime/shop',
    ]);
    expect(app.route?.spec.backends).toEqual([
      { functionRef: 'shop', weight: 80 },
      { functionRef: 'shop-canary', weight: 20 },
    ]);
    expect(app.function.spec.runtimeClass).toBe('shop');
    expect(app.canary?.spec.limits.memoryPages).toBe(128);
    expect(app.triggers.map((t) => t.spec.type).sort()).toEqual(['cron', 'http', 'http', 'nats']);
  });

  it('refuses a canary weight outside 1..99 with the value', () => {
    expect(() => new FunctionApp(testChart(), 'a', { module: MODULE_REF, http: { host: 'a.example', canary: { module: CANARY, weight: 100 } } })).toThrow(
      'FunctionApp "a" http.canary.weight: expected 1..99 percent, got 100',
    );
  });

  it('refuses a bad schedule before synth, naming it', () => {
    expect(() => new FunctionApp(testChart(), 'a', { module: MODULE_REF, schedules: ['every minute'] })).toThrow(/spec.cron.schedule/);
  });
});
