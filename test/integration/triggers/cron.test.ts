/**
 * The cron source with two runtimes: a schedule fires on time and once per cluster, each tick
 * claimed by one node, through NATS KV compare-and-set (no API server) or a coordination.k8s.io
 * Lease per schedule (with the harness's kube-apiserver).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTickClaims, type TickClaims } from '../../../node-runtime/triggers/cron/claims.ts';
import { LeaseTickClaims } from '../../../node-runtime/triggers/cron/lease-claims.ts';
import { createKubeClient } from '../../../kube/index.ts';
import { createTestNamespace, harness, kubeConfig, uniqueName, type TestNamespace } from '../../harness/index.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { eventually, startTestNode, trigger, type TestNode } from '../../../node-runtime/testing/trigger-node.ts';

let counter: string;
let ns: TestNamespace;
const open: TestNode[] = [];

beforeAll(async () => {
  counter = await buildExample('kv-counter');
  ns = await createTestNamespace('cron');
}, 300_000);
afterAll(async () => {
  await Promise.all(open.map((n) => n.close()));
  await ns.delete();
});

/** Starts two runtimes running the same every-minute trigger; returns who fired when. */
async function twoRuntimes(namespace: string, claims: (node: string) => TickClaims | undefined): Promise<{ node: string; at: number }[]> {
  const t = trigger(namespace, 'every-minute', { functionRef: 'counter', type: 'cron', cron: { schedule: '* * * * *', timeZone: 'Europe/Berlin', payload: 'tick', missedRuns: 'RunOnce' } });
  const fired: { node: string; at: number }[] = [];
  for (const name of ['cron-a', 'cron-b']) {
    const tickClaims = claims(name);
    const n = await startTestNode({
      name,
      natsUrl: harness().nats.url,
      diskRoot: mkdtempSync(join(tmpdir(), `${name}-`)),
      functions: { [`${namespace}/counter`]: { wasm: counter } },
      triggers: [t],
      events: { delivered: (_t, outcome) => void (outcome === 'ok' && fired.push({ node: name, at: Date.now() })) },
      ...(tickClaims ? { tickClaims } : {}),
    });
    open.push(n);
  }
  return fired;
}

async function expectOneFireOnTime(fired: { node: string; at: number }[]): Promise<void> {
  const minute = 60_000;
  const tick = Math.ceil(Date.now() / minute) * minute;
  await eventually(() => (fired.length ? true : undefined), tick - Date.now() + 10_000, 'the first tick');
  // Give the other node every chance to fire the same tick too.
  await new Promise((r) => setTimeout(r, 3000));
  expect(fired).toHaveLength(1);
  expect(fired[0]!.at - tick).toBeGreaterThanOrEqual(0);
  expect(fired[0]!.at - tick).toBeLessThan(2000);
}

describe('cron trigger', () => {
  it.concurrent('fires each tick once per cluster, on time, with two runtimes claiming through NATS KV', async () => {
    await expectOneFireOnTime(await twoRuntimes(uniqueName('cron'), () => undefined));
  });

  it.concurrent('fires each tick once per cluster, on time, with two runtimes claiming through a Lease', async () => {
    await expectOneFireOnTime(await twoRuntimes(ns.name, () => new LeaseTickClaims(createKubeClient(kubeConfig()))));
  });
});

describe('tick claims', () => {
  it.each([
    ['NATS KV', async () => {
      const nc = await connect({ servers: harness().nats.url });
      return { claims: [new NatsTickClaims(nc), new NatsTickClaims(nc)], key: `${uniqueName('claims')}/t`, close: () => nc.close() };
    }],
    ['a Lease', () => Promise.resolve({ claims: [new LeaseTickClaims(createKubeClient(kubeConfig())), new LeaseTickClaims(createKubeClient(kubeConfig()))], key: `${ns.name}/${uniqueName('t')}`, close: () => Promise.resolve() })],
  ])('through %s give each tick to exactly one of many racing nodes', async (_name, setup) => {
    const { claims, key, close } = await setup();
    try {
      for (const tick of [60_000, 120_000, 180_000]) {
        const wins = await Promise.all(Array.from({ length: 6 }, (_, i) => claims[i % 2]!.claim(key, tick, `node-${i}`)));
        expect(wins.filter(Boolean), `tick ${tick}`).toHaveLength(1);
      }
      expect(await claims[0]!.lastFired(key)).toBe(180_000);
      // An older tick is never claimed again.
      expect(await claims[1]!.claim(key, 120_000, 'late')).toBe(false);
    } finally {
      await close();
    }
  });
});
