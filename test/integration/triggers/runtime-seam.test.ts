/**
 * The triggers on the node runtime itself (node-runtime/node.ts): the EventRuntime is handed the
 * node's own invoker (the seam the HTTP adapter uses) and a NATS event reaches the function
 * through it, with the same WAGI variables an HTTP CloudEvent would give.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createInbox, headers, type Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import { startNode } from '../../../node-runtime/node.ts';
import type { DesiredState } from '../../../node-runtime/resolve/desired-state.ts';
import { EventRuntime } from '../../../node-runtime/triggers/manager.ts';
import { harness, uniqueName } from '../../harness/index.ts';
import { eventually, trigger } from '../../../node-runtime/testing/trigger-node.ts';

it('runs a NATS event through the node runtime\'s own invoker', async () => {
  const echo = await buildExample('echo');
  const state: DesiredState = {
    functions: new Map([['shop/echo', { key: 'shop/echo', module: { kind: 'file', path: echo }, memoryPages: 256, timeoutMs: 5000, concurrency: 4, env: [], reuse: false, grants: {} }]]),
    routes: [],
    triggers: [],
  };
  const logger = pino({ level: 'warn' });
  const node = await startNode({
    source: { start: (apply) => Promise.resolve(apply(state)), close: () => Promise.resolve() },
    logger,
    port: 0,
    cacheDir: mkdtempSync(join(tmpdir(), 'seam-cache-')),
    trust: { keys: [], identities: [] },
    workers: 2,
  });
  const url = harness().nats.url;
  const events = await EventRuntime.start({ invoker: node.invoker, logger, nodeName: 'seam', natsUrl: url });
  const nc = await connect({ servers: url });
  try {
    const s = uniqueName('seam').replaceAll('-', '_');
    await (await jetstreamManager(nc)).streams.add({ name: s, subjects: [`${s}.>`] });
    const problems = await events.apply([trigger('shop', 'echo', { functionRef: 'echo', type: 'nats', nats: { url, stream: s, subject: `${s}.>` } })], {
      timeouts: new Map([...node.state().functions].map(([k, f]) => [k, f.timeoutMs])),
    });
    expect(problems).toEqual([]);
    const inbox = createInbox();
    const replies: Msg[] = [];
    nc.subscribe(inbox, { callback: (_e, m) => void replies.push(m) });
    const h = headers();
    h.set('flotilla-reply-to', inbox);
    h.set('ce-type', 'com.example.order.created');
    await jetstream(nc).publish(`${s}.eu`, 'order!', { headers: h });
    const [reply] = await eventually(() => (replies.length ? replies : undefined), 20_000, 'the result');
    const body = reply!.string();
    expect(body).toContain('method: POST');
    expect(body).toContain('header: HTTP_CE_TYPE=com.example.order.created');
    expect(body).toContain(`header: HTTP_CE_SUBJECT=${s}.eu`);
    expect(body).toContain(`header: HTTP_IDEMPOTENCY_KEY=shop/echo:${s}:1`);
    expect(body).toMatch(/body:\norder!/);
  } finally {
    await events.close();
    await nc.drain();
    await node.close();
  }
});
