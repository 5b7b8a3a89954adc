import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FunctionTrigger, FunctionTriggerSpec } from '../../api/index.ts';
import type { TickClaims } from './cron/claims.ts';
import type { EventInvocationMeta, FunctionInvoker } from './invoker.ts';
import { EventRuntime } from './manager.ts';

const delivery = { retry: { maxAttempts: 1, backoff: { initialMs: 1, maxMs: 1, multiplier: 1 } }, concurrency: 1, filters: [], next: [] };
const trigger = (name: string, spec: Partial<FunctionTriggerSpec>): FunctionTrigger =>
  ({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'FunctionTrigger', metadata: { name, namespace: 'shop' }, spec: { functionRef: 'f', type: 'cron', ...delivery, ...spec } });

/** Claims that remember a tick fired long ago, so a RunOnce schedule fires its latest tick at start. */
const longAgo: TickClaims = { claim: () => Promise.resolve(true), lastFired: () => Promise.resolve(0) };

describe('EventRuntime dispatch by kind', () => {
  it('starts a cron trigger on the cron source, leaves http to routes and refuses a kind without its section', async () => {
    const calls: { fn: string; body: string; meta: EventInvocationMeta }[] = [];
    let fired!: () => void;
    const firedOnce = new Promise<void>((r) => (fired = r));
    const invoker: FunctionInvoker = {
      invoke(fn, payload, meta) {
        calls.push({ fn, body: new TextDecoder().decode(payload), meta });
        fired();
        return Promise.resolve({ ok: true, status: 200, headers: [], body: new Uint8Array(), invocationId: 'i', traceparent: meta.traceparent ?? '' });
      },
    };
    const events = await EventRuntime.start({ invoker, logger: pino({ level: 'silent' }), nodeName: 'n1', tickClaims: longAgo });
    try {
      const problems = await events.apply(
        [
          trigger('tick', { cron: { schedule: '* * * * *', timeZone: 'UTC', payload: 'hello', missedRuns: 'RunOnce' } }),
          trigger('web', { type: 'http', http: { routeRef: 'f' } }),
          trigger('broken', { type: 'mqtt' }),
        ],
        { timeouts: new Map([['shop/f', 1000]]) },
      );
      expect(problems.map((p) => [p.trigger, (p.error as { code?: string }).code, p.error.message])).toEqual([
        ['shop/broken', 'InvalidTrigger', 'trigger shop/broken: expected spec.mqtt for type mqtt, got none'],
      ]);
      expect(events.running()).toEqual(['shop/tick']);
      await firedOnce;
      expect(calls.map((c) => [c.fn, c.body, c.meta.trigger])).toEqual([['shop/f', 'hello', 'cron']]);
    } finally {
      await events.close();
    }
  });
});
