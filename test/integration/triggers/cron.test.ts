/**
 * The cron source with two runtimes sharing one nats-server: a schedule fires on time and once per
 * cluster (each tick claimed by one node through NATS KV compare-and-set).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueName } from '../../harness/index.ts';
import { buildKvExample } from './build-kv-examples.ts';
import { eventually, startTestNode, trigger, type TestNode } from './node.ts';

let counter: string;
const open: TestNode[] = [];

beforeAll(async () => {
  counter = await buildKvExample('kv-counter');
}, 300_000);
afterAll(async () => {
  await Promise.all(open.map((n) => n.close()));
});

describe('cron trigger', () => {
  it('fires each tick once per cluster, on time, with two runtimes', async () => {
    const url = harness().nats.url;
    const ns = uniqueName('cron');
    const t = trigger(ns, 'every-minute', { functionRef: 'counter', type: 'cron', cron: { schedule: '* * * * *', timeZone: 'Europe/Berlin', payload: 'tick' } });
    const fired: { node: string; at: number }[] = [];
    for (const name of ['cron-a', 'cron-b']) {
      const n = await startTestNode({
        name,
        natsUrl: url,
        diskRoot: mkdtempSync(join(tmpdir(), `${name}-`)),
        functions: { [`${ns}/counter`]: { wasm: counter, state: 'nats' } },
        triggers: [t],
        events: { delivered: (_t, outcome) => void (outcome === 'ok' && fired.push({ node: name, at: Date.now() })) },
      });
      open.push(n);
    }
    const minute = 60_000;
    const tick = Math.ceil(Date.now() / minute) * minute;
    await eventually(() => (fired.length ? true : undefined), tick - Date.now() + 10_000, 'the first tick');
    // Give the other node every chance to fire the same tick too.
    await new Promise((r) => setTimeout(r, 3000));
    expect(fired).toHaveLength(1);
    expect(fired[0]!.at - tick).toBeGreaterThanOrEqual(0);
    expect(fired[0]!.at - tick).toBeLessThan(2000);
  });
});
