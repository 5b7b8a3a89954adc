/**
 * Chaining across two nodes over the real nats-server: a three-step chain whose middle step lives
 * on the other node delivers its final result with one trace id; a chain cycle is refused at runtime.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import { harness, uniqueName } from '../../harness/index.ts';
import { eventually, startTestNode, trigger, type TestNode } from '../../../node-runtime/testing/trigger-node.ts';

let echo: string;
let nc: NatsConnection;
const open: TestNode[] = [];

beforeAll(async () => {
  echo = await buildExample('echo');
  nc = await connect({ servers: harness().nats.url });
}, 300_000);
afterAll(async () => {
  await Promise.all(open.map((n) => n.close()));
  await nc.drain();
});

describe('chaining', () => {
  it('runs a three-step chain across two nodes and delivers the final result with one trace id', async () => {
    const url = harness().nats.url;
    const s = uniqueName('pipeline').replaceAll('-', '_');
    await (await jetstreamManager(nc)).streams.add({ name: s, subjects: [`${s}.>`] });
    const t = trigger('etl', 'pipeline', { functionRef: 'extract', type: 'nats', nats: { url, stream: s, subject: `${s}.>` }, next: [{ functionRef: 'transform' }, { functionRef: 'load' }] });
    const a = await startTestNode({ name: 'chain-a', natsUrl: url, diskRoot: mkdtempSync(join(tmpdir(), 'chain-a-')), functions: { 'etl/extract': { wasm: echo }, 'etl/load': { wasm: echo } }, triggers: [t] });
    open.push(a);
    const b = await startTestNode({ name: 'chain-b', natsUrl: url, diskRoot: mkdtempSync(join(tmpdir(), 'chain-b-')), functions: { 'etl/transform': { wasm: echo } }, triggers: [t] });
    open.push(b);

    const inbox = createInbox();
    const replies: Msg[] = [];
    nc.subscribe(inbox, { callback: (_e, m) => void replies.push(m) });
    await nc.flush();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const h = headers();
    h.set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`);
    h.set('flotilla-reply-to', inbox);
    await jetstream(nc).publish(`${s}.in`, 'raw record', { headers: h });

    const [reply] = await eventually(() => (replies.length ? replies : undefined), 20_000, 'the final result');
    const body = reply!.string();
    // Each echo wraps its input: the innermost body is the event, three layers deep.
    expect(body.match(/^method: POST$/gm)).toHaveLength(3);
    expect(body).toContain('raw record');
    const traces = [...body.matchAll(/HTTP_TRACEPARENT=00-([0-9a-f]{32})-([0-9a-f]{16})-01/g)];
    expect(traces).toHaveLength(3);
    expect(new Set(traces.map((m) => m[1]))).toEqual(new Set([traceId]));
    // Three different parent spans: each step is the parent of the next.
    expect(new Set(traces.map((m) => m[2])).size).toBe(3);
    expect(body).toMatch(/HTTP_FLOTILLA_CHAIN_STEP=3\/3[\s\S]*HTTP_FLOTILLA_CHAIN_STEP=2\/3[\s\S]*HTTP_FLOTILLA_CHAIN_STEP=1\/3/);
    expect(reply!.headers?.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-`));
    expect(a.invoker.calls).toEqual(['etl/extract', 'etl/load']);
    expect(b.invoker.calls).toEqual(['etl/transform']);
  });

  it('refuses a chain that names a function twice', async () => {
    const url = harness().nats.url;
    const cycle = trigger('etl', 'loop', { functionRef: 'extract', type: 'cron', cron: { schedule: '* * * * *', timeZone: 'UTC', payload: '', missedRuns: 'RunOnce' }, next: [{ functionRef: 'transform' }, { functionRef: 'extract' }] });
    const node = await startTestNode({ name: 'cycle', natsUrl: url, diskRoot: mkdtempSync(join(tmpdir(), 'cycle-')), functions: { 'etl/extract': { wasm: echo } } });
    open.push(node);
    const problems = await node.events.apply([cycle], { timeouts: new Map([['etl/extract', 1000]]) });
    expect(problems.map((p) => [p.trigger, (p.error as { code?: string }).code])).toEqual([['etl/loop', 'ChainCycle']]);
    expect(problems[0]!.error.message).toContain('etl/extract twice in etl/extract -> etl/transform -> etl/extract');
  });
});
