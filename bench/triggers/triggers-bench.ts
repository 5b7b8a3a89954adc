/**
 * Trigger benchmarks (docs/performance.md, "Triggers"), each against a bare NATS baseline measured
 * in the same run on the same nats-server:
 *   1. events/s of one node draining a JetStream backlog into a trivial function (hello) vs a bare
 *      JetStream consumer that echoes each message and acks it the same way (ackAck);
 *   2. end-to-end latency of a 3-step chain (publish -> final result on the reply subject), all
 *      steps on one node and with the middle step on a second node, vs a bare consumer that echoes
 *      the event to the same reply subject;
 *   3. flotilla:kv: one get / set from a worker thread on the disk store and through the NATS KV
 *      bridge (SharedArrayBuffer + Atomics.wait), and a kv-counter invocation on each.
 *
 *   node bench/triggers/triggers-bench.ts [--runs 3] [--events 2000] [--samples 200]
 */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createInbox, headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { buildExample } from '../../examples/functions/build.ts';
import type { KvBinding } from '../../node-runtime/state/binding.ts';
import { KvBridgeServer } from '../../node-runtime/state/bridge.ts';
import { StateService } from '../../node-runtime/state/service.ts';
import { startNats } from '../../devenv/servers/nats.ts';
import { call, startTestNode, trigger, type TestNode } from '../../node-runtime/testing/trigger-node.ts';
import { quantile, spread } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, events: { type: 'string', default: '2000' }, samples: { type: 'string', default: '200' } } });
const RUNS = Number(values.runs);
const EVENTS = Number(values.events);
const SAMPLES = Number(values.samples);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const work = mkdtempSync(join(tmpdir(), 'flotilla-bench-triggers-'));
const server = await startNats(join(work, 'nats'), work);
const nc: NatsConnection = await connect({ servers: server.url });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
let streams = 0;

async function backlog(n: number): Promise<string> {
  const name = `B${++streams}`;
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  const payload = new TextEncoder().encode('event');
  for (let i = 0; i < n; i += 200) await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => js.publish(`${name}.in`, payload)));
  return name;
}

async function waitAcked(stream: string, durable: string, n: number): Promise<void> {
  for (;;) {
    const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
    if (info && info.ack_floor.stream_seq >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Events/s of the baseline: a bare JetStream consumer that echoes each message and acks it. */
async function bareThroughput(): Promise<number> {
  const s = await backlog(EVENTS);
  await jsm.consumers.add(s, { durable_name: 'bare', ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(s, 'bare');
  const t0 = performance.now();
  const messages = await consumer.consume({ max_messages: 2 });
  let n = 0;
  for await (const m of messages) {
    nc.publish(`echo.${s}`, m.data);
    await m.ackAck();
    if (++n === EVENTS) break;
  }
  const secs = (performance.now() - t0) / 1000;
  await messages.close();
  return EVENTS / secs;
}

async function nodeThroughput(hello: string): Promise<number> {
  const s = await backlog(EVENTS);
  const t = trigger('bench', `tp-${s}`, { functionRef: 'hello', type: 'nats', nats: { url: server.url, stream: s, subject: `${s}.>` }, concurrency: 2 });
  const t0 = performance.now();
  const node = await startTestNode({ name: 'tp', diskRoot: join(work, 'disk'), functions: { 'bench/hello': { wasm: hello } }, triggers: [t] });
  await waitAcked(s, `bench-tp-${s}`, EVENTS);
  const secs = (performance.now() - t0) / 1000;
  await node.close();
  return EVENTS / secs;
}

/** Latencies (ms) of publish -> reply for `samples` sequential events on `subjectPrefix`. */
async function latencies(stream: string): Promise<number[]> {
  const out: number[] = [];
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const it = sub[Symbol.asyncIterator]();
  for (let i = 0; i < SAMPLES + 20; i++) {
    const h = headers();
    h.set('flotilla-reply-to', inbox);
    const t0 = performance.now();
    await js.publish(`${stream}.in`, 'event', { headers: h });
    await it.next();
    if (i >= 20) out.push(performance.now() - t0); // first 20: warm-up
  }
  sub.unsubscribe();
  return out.sort((a, b) => a - b);
}

async function bareLatency(): Promise<number[]> {
  const s = `L${++streams}`;
  await jsm.streams.add({ name: s, subjects: [`${s}.>`] });
  await jsm.consumers.add(s, { durable_name: 'bare', ack_policy: AckPolicy.Explicit });
  const messages = await (await js.consumers.get(s, 'bare')).consume({ max_messages: 1 });
  const loop = (async () => {
    for await (const m of messages) {
      nc.publish(m.headers!.get('flotilla-reply-to'), m.data);
      await m.ackAck();
    }
  })();
  const out = await latencies(s);
  await messages.close();
  await loop;
  return out;
}

async function chainLatency(echo: string, split: boolean): Promise<number[]> {
  const s = `C${++streams}`;
  await jsm.streams.add({ name: s, subjects: [`${s}.>`] });
  const t = trigger('bench', `chain-${s}`, { functionRef: 'one', type: 'nats', nats: { url: server.url, stream: s, subject: `${s}.>` }, next: [{ functionRef: 'two' }, { functionRef: 'three' }] });
  const nodes: TestNode[] = [];
  const fn = { wasm: echo };
  if (split) {
    nodes.push(await startTestNode({ name: 'chain-a', natsUrl: server.url, diskRoot: join(work, 'disk'), functions: { 'bench/one': fn, 'bench/three': fn }, triggers: [t] }));
    nodes.push(await startTestNode({ name: 'chain-b', natsUrl: server.url, diskRoot: join(work, 'disk'), functions: { 'bench/two': fn } }));
  } else {
    nodes.push(await startTestNode({ name: 'chain', natsUrl: server.url, diskRoot: join(work, 'disk'), functions: { 'bench/one': fn, 'bench/two': fn, 'bench/three': fn }, triggers: [t] }));
  }
  const out = await latencies(s);
  for (const n of nodes) await n.close();
  return out;
}

/** Median µs per invocation of kv-counter (2 gets + 2 sets) with its state on `store`. */
async function kvFunction(counter: string, store: 'disk' | 'nats'): Promise<number> {
  const node = await startTestNode({ name: `kv-${store}`, natsUrl: server.url, diskRoot: join(work, `kv-${store}`), functions: { 'bench/counter': { wasm: counter, state: store } } });
  const times: number[] = [];
  for (let i = 0; i < SAMPLES + 20; i++) {
    const t0 = performance.now();
    await call(node, 'bench/counter', '');
    if (i >= 20) times.push((performance.now() - t0) * 1000);
  }
  await node.close();
  return quantile(times.sort((a, b) => a - b), 0.5);
}

/**
 * Median µs of one get / set from a worker thread: on disk, through the bridge to NATS KV, or
 * through the bridge to an in-memory map (the hand-off alone, without a network round trip).
 */
async function kvOps(store: 'disk' | 'nats' | 'handoff'): Promise<{ get: number; set: number }> {
  const state = new StateService({ diskRoot: join(work, 'kv-ops'), nats: nc });
  const map = new Map<string, Uint8Array>();
  const handoff = new KvBridgeServer(`bench:${store}`, () => ({
    get: (k) => Promise.resolve(map.get(k)),
    set: (k, v) => Promise.resolve(void map.set(k, v)),
    delete: (k) => Promise.resolve(void map.delete(k)),
    list: () => Promise.resolve([...map.keys()]),
  }));
  const binding: KvBinding = store === 'handoff' ? { store: 'nats', channel: handoff.channel, bucket: 'memory' } : state.bindingFor('bench/ops', store === 'nats');
  const worker = new Worker(new URL('./kv-worker.ts', import.meta.url), { workerData: { binding, n: SAMPLES } });
  const [msg] = (await once(worker, 'message')) as [{ get: number[]; set: number[] }];
  await worker.terminate();
  state.close();
  handoff.close();
  return { get: quantile(msg.get, 0.5), set: quantile(msg.set, 0.5) };
}

const [hello, echo, counter] = [await buildExample('hello'), await buildExample('echo'), await buildExample('kv-counter')];
const r = { bareTp: [] as number[], nodeTp: [] as number[], bareP50: [] as number[], bareP99: [] as number[], localP50: [] as number[], localP99: [] as number[], splitP50: [] as number[], splitP99: [] as number[], diskFn: [] as number[], natsFn: [] as number[], diskGet: [] as number[], natsGet: [] as number[], diskSet: [] as number[], natsSet: [] as number[], handGet: [] as number[], handSet: [] as number[] };
for (let run = 1; run <= RUNS; run++) {
  log(`run ${run}/${RUNS}`);
  r.bareTp.push(await bareThroughput());
  r.nodeTp.push(await nodeThroughput(hello));
  const bare = await bareLatency();
  const local = await chainLatency(echo, false);
  const split = await chainLatency(echo, true);
  r.bareP50.push(quantile(bare, 0.5));
  r.bareP99.push(quantile(bare, 0.99));
  r.localP50.push(quantile(local, 0.5));
  r.localP99.push(quantile(local, 0.99));
  r.splitP50.push(quantile(split, 0.5));
  r.splitP99.push(quantile(split, 0.99));
  r.diskFn.push(await kvFunction(counter, 'disk'));
  r.natsFn.push(await kvFunction(counter, 'nats'));
  const disk = await kvOps('disk');
  const nats = await kvOps('nats');
  r.diskGet.push(disk.get);
  r.diskSet.push(disk.set);
  r.natsGet.push(nats.get);
  r.natsSet.push(nats.set);
  const hand = await kvOps('handoff');
  r.handGet.push(hand.get);
  r.handSet.push(hand.set);
}
const ratio = (a: number[], b: number[]): number[] => a.map((x, i) => x / b[i]!);
const lines = [
  `| Measure | Flotilla | Baseline (bare NATS) | Ratio |`,
  `|---|---|---|---|`,
  `| Events/s, one node, trivial function (hello), JetStream backlog of ${EVENTS} | ${spread(r.nodeTp)} | ${spread(r.bareTp)} (consumer that echoes + ackAck) | ${spread(ratio(r.nodeTp, r.bareTp), 2)} |`,
  `| 3-step chain, one node: p50 ms | ${spread(r.localP50, 2)} | ${spread(r.bareP50, 2)} (consumer echoing to the reply subject) | ${spread(ratio(r.localP50, r.bareP50), 1)} |`,
  `| 3-step chain, one node: p99 ms | ${spread(r.localP99, 2)} | ${spread(r.bareP99, 2)} | ${spread(ratio(r.localP99, r.bareP99), 1)} |`,
  `| 3-step chain, middle step on a 2nd node: p50 ms | ${spread(r.splitP50, 2)} | ${spread(r.bareP50, 2)} | ${spread(ratio(r.splitP50, r.bareP50), 1)} |`,
  `| 3-step chain, middle step on a 2nd node: p99 ms | ${spread(r.splitP99, 2)} | ${spread(r.bareP99, 2)} | ${spread(ratio(r.splitP99, r.bareP99), 1)} |`,
  '',
  `| flotilla:kv, median µs | disk store | NATS KV through the bridge | bridge to an in-memory map (hand-off only) |`,
  `|---|---|---|---|`,
  `| one get, from a worker thread (100-byte value) | ${spread(r.diskGet, 1)} | ${spread(r.natsGet, 1)} | ${spread(r.handGet, 1)} |`,
  `| one set (disk: temp write + fsync + rename + dir fsync) | ${spread(r.diskSet, 1)} | ${spread(r.natsSet, 1)} | ${spread(r.handSet, 1)} |`,
  `| kv-counter invocation (2 gets + 2 sets) | ${spread(r.diskFn)} | ${spread(r.natsFn)} | |`,
];
process.stdout.write(`${lines.join('\n')}\n\nruns: ${RUNS}, events per throughput run: ${EVENTS}, latency samples per run: ${SAMPLES}; median (min–max) over runs\n`);
await nc.drain();
await server.stop();
