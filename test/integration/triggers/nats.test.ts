/**
 * The nats source against the real nats-server (JetStream): retries then success processed once
 * and acked, dead letter with the error after the last attempt, filters and fan-out, and a node
 * killed mid-message losing nothing (JetStream redelivers to another node).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskKvStore } from '../../../node-runtime/state/disk-store.ts';
import { harness, uniqueName } from '../../harness/index.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { eventually, startNodeProcess, startTestNode, trigger, type TestNode, type TestNodeConfig } from '../../../node-runtime/testing/trigger-node.ts';

let counter: string;
let nc: NatsConnection;
let jsm: JetStreamManager;
const open: TestNode[] = [];

beforeAll(async () => {
  counter = await buildExample('kv-counter');
  nc = await connect({ servers: harness().nats.url });
  jsm = await jetstreamManager(nc);
}, 300_000);
afterAll(async () => {
  await Promise.all(open.map((n) => n.close()));
  await nc.drain();
});

async function stream(): Promise<string> {
  const name = uniqueName('orders').replaceAll('-', '_');
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  return name;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function doneCount(root: string, fnKey: string, idem: string): string | undefined {
  const v = new DiskKvStore(join(root, ...fnKey.split('/'))).get(`done/${idem}`);
  return v && text(v);
}

describe('nats trigger', () => {
  it('retries a message that fails twice, then processes it once and acks it', async () => {
    const s = await stream();
    const root = mkdtempSync(join(tmpdir(), 'nats-retry-'));
    const t = trigger('shop', 'orders', { functionRef: 'counter', type: 'nats', nats: { url: harness().nats.url, stream: s, subject: `${s}.>` }, retry: { maxAttempts: 3, backoff: { initialMs: 50, maxMs: 200, multiplier: 2 } }, deadLetter: { target: `dlq.${s}` } });
    const delivered: string[] = [];
    const node = await startTestNode({ name: 'a', diskRoot: root, functions: { 'shop/counter': { wasm: counter, env: { FAIL_TIMES: '2' } } }, triggers: [t], events: { delivered: (_t, o) => delivered.push(o) } });
    open.push(node);
    const dead: string[] = [];
    nc.subscribe(`dlq.${s}`, { callback: (_e, m) => void dead.push(m.string()) });

    await jetstream(nc).publish(`${s}.eu`, 'order 1');
    await eventually(() => (delivered.includes('ok') ? true : undefined), 20_000, 'a successful delivery');
    expect(delivered).toEqual(['retry', 'retry', 'ok']);
    await eventually(async () => ((await jsm.consumers.info(s, 'shop-orders')).ack_floor.stream_seq === 1 ? true : undefined), 5000, 'the ack');
    // Long enough for a redelivery had the ack been lost (ackWait is 5 s + 2 s): none comes.
    await new Promise((r) => setTimeout(r, 7500));
    const info = await jsm.consumers.info(s, 'shop-orders');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    expect(doneCount(root, 'shop/counter', `shop/orders:${s}:1`)).toBe('1');
    expect(delivered).toEqual(['retry', 'retry', 'ok']);
    expect(dead).toEqual([]);
  });

  it('sends a message that always fails to the dead-letter subject with its error and headers', async () => {
    const s = await stream();
    const t = trigger('shop', 'poison', { functionRef: 'counter', type: 'nats', nats: { url: harness().nats.url, stream: s, subject: `${s}.>` }, retry: { maxAttempts: 3, backoff: { initialMs: 50, maxMs: 200, multiplier: 2 } }, deadLetter: { target: `dlq.${s}` } });
    const node = await startTestNode({ name: 'a', diskRoot: mkdtempSync(join(tmpdir(), 'nats-dlq-')), functions: { 'shop/counter': { wasm: counter, env: { FAIL_TIMES: '1000' } } }, triggers: [t] });
    open.push(node);
    const dead: { body: string; headers: Record<string, string> }[] = [];
    nc.subscribe(`dlq.${s}`, { callback: (_e, m) => void dead.push({ body: m.string(), headers: Object.fromEntries([...(m.headers?.keys() ?? [])].map((k) => [k, m.headers!.get(k)])) }) });

    const h = headers();
    h.set('x-order-id', '42');
    await jetstream(nc).publish(`${s}.eu`, 'poison order', { headers: h });
    const [letter] = await eventually(() => (dead.length ? dead : undefined), 20_000, 'a dead letter');
    expect(letter!.body).toBe('poison order');
    expect(letter!.headers).toMatchObject({
      'x-order-id': '42',
      'flotilla-trigger': 'shop/poison',
      'flotilla-function': 'shop/counter',
      'flotilla-error-code': 'FunctionFailed',
      'flotilla-error': 'function shop/counter answered status 500: failing attempt 3 of 1000 on purpose',
      'flotilla-deliveries': '3',
    });
    await eventually(async () => ((await jsm.consumers.info(s, 'shop-poison')).num_ack_pending === 0 ? true : undefined), 5000, 'the message acked after its dead letter');
    await new Promise((r) => setTimeout(r, 500));
    expect(dead).toHaveLength(1);
  });

  it('fans one event out to two triggers and skips events their filters do not match', async () => {
    const s = await stream();
    const root = mkdtempSync(join(tmpdir(), 'nats-fan-'));
    const base = { type: 'nats' as const, nats: { url: harness().nats.url, stream: s, subject: `${s}.>` } };
    const all = trigger('shop', 'all', { ...base, functionRef: 'count-all' });
    const eu = trigger('shop', 'eu-only', { ...base, functionRef: 'count-eu', filters: [{ key: 'ce-subject', operator: 'Prefix', value: `${s}.eu` }, { key: 'x-priority', operator: 'Equals', value: 'high' }] });
    const node = await startTestNode({ name: 'a', diskRoot: root, functions: { 'shop/count-all': { wasm: counter }, 'shop/count-eu': { wasm: counter } }, triggers: [all, eu] });
    open.push(node);
    const js = jetstream(nc);
    const high = headers();
    high.set('x-priority', 'high');
    await js.publish(`${s}.eu.de`, 'a', { headers: high });
    await js.publish(`${s}.us`, 'b', { headers: high });
    await js.publish(`${s}.eu.fr`, 'c');
    const count = (fn: string, subject: string): string | undefined => {
      const v = new DiskKvStore(join(root, 'shop', fn)).get(`count/${subject}`);
      return v && text(v);
    };
    await eventually(async () => ((await jsm.consumers.info(s, 'shop-all')).ack_floor.stream_seq === 3 && (await jsm.consumers.info(s, 'shop-eu-only')).ack_floor.stream_seq === 3 ? true : undefined), 20_000, 'both consumers done');
    expect([count('count-all', `${s}.eu.de`), count('count-all', `${s}.us`), count('count-all', `${s}.eu.fr`)]).toEqual(['1', '1', '1']);
    expect([count('count-eu', `${s}.eu.de`), count('count-eu', `${s}.us`), count('count-eu', `${s}.eu.fr`)]).toEqual(['1', undefined, undefined]);
  });

  it('loses nothing when a node is killed mid-message: another node gets it', async () => {
    const s = await stream();
    const t = trigger('shop', 'slow', { functionRef: 'counter', type: 'nats', nats: { url: harness().nats.url, stream: s, subject: `${s}.>` } });
    const config: TestNodeConfig = {
      name: 'doomed',
      diskRoot: mkdtempSync(join(tmpdir(), 'nats-doomed-')),
      // ~minutes of work: the node is always killed before it could ack.
      functions: { 'shop/counter': { wasm: counter, env: { SPIN: '100000' }, timeoutMs: 3000 } },
      triggers: [t],
    };
    const doomed = await startNodeProcess(config);
    try {
      await jetstream(nc).publish(`${s}.eu`, 'order 7');
      await doomed.waitForOutput('invoke shop/counter', 10_000, 'the doomed node to start the work');
    } finally {
      await doomed.kill();
    }
    expect((await jsm.consumers.info(s, 'shop-slow')).num_ack_pending).toBe(1);

    const root = mkdtempSync(join(tmpdir(), 'nats-survivor-'));
    const survivor = await startTestNode({ name: 'survivor', diskRoot: root, functions: { 'shop/counter': { wasm: counter, timeoutMs: 3000 } }, triggers: [t] });
    open.push(survivor);
    // Redelivered once the doomed node's ackWait (3 s + 2 s) ran out.
    await eventually(() => doneCount(root, 'shop/counter', `shop/slow:${s}:1`), 20_000, 'the survivor to process the message');
    await eventually(async () => ((await jsm.consumers.info(s, 'shop-slow')).ack_floor.stream_seq === 1 ? true : undefined), 5000, 'the ack');
    expect(survivor.invoker.calls).toEqual(['shop/counter']);
  });
});
