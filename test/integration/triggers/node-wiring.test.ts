/**
 * `flotilla node` runs event triggers and state from its manifest directory: the real CLI as a
 * process (`node cli/main.ts node --manifests <dir> --nats-url ...`), signed modules from a local
 * store, the harness's nats-server. A NATS message reaches the triggered function and its reply
 * comes back; a kv-bound function counts in its disk store under --state-dir; removing the trigger
 * from the directory stops the consuming without restarting the node, while the other trigger runs on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import { harness, uniqueName, waitFor } from '../../harness/index.ts';
import { newKey, publish, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const HOST = 'registry.local';

let work: string;
let manifests: string;
let stateDir: string;
let node: ChildProcess;
/** The node's admin port: readiness and metrics. */
let adminUrl: string;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let stream: string;
let refs: { echo: string; counter: string };
const replies = new Map<string, Msg[]>();

const fn = (name: string, ref: string, state = '') => `apiVersion: flotilla.dev/v1alpha1
kind: WasmFunction
metadata:
  name: ${name}
  namespace: shop
spec:
  module:
    ref: ${ref}${state}
`;
const natsTrigger = (name: string, functionRef: string, subject: string) => `apiVersion: flotilla.dev/v1alpha1
kind: FunctionTrigger
metadata:
  name: ${name}
  namespace: shop
spec:
  functionRef: ${functionRef}
  type: nats
  nats:
    url: ${harness().nats.url}
    stream: ${stream}
    subject: ${subject}
`;

/** The manifests: echo and the kv-bound counter, each with a NATS trigger unless left out. */
function render(withOrders: boolean): string {
  return [
    fn('echo', refs.echo),
    fn('counter', refs.counter, '\n  state:\n    store: disk'),
    ...(withOrders ? [natsTrigger('orders', 'echo', `${stream}.orders`)] : []),
    natsTrigger('visits', 'counter', `${stream}.visits`),
  ].join('---\n');
}

/** Publishes with a reply subject; the node sends the function's result there. */
async function send(subject: string, body: string): Promise<string> {
  const inbox = createInbox();
  replies.set(inbox, []);
  nc.subscribe(inbox, { callback: (_e, m) => void replies.get(inbox)!.push(m) });
  const h = headers();
  h.set('flotilla-reply-to', inbox);
  await js.publish(subject, body, { headers: h });
  return inbox;
}

const reply = (inbox: string, what: string) => waitFor(async () => Promise.resolve(replies.get(inbox)?.[0]?.string()), { timeoutMs: 30_000, what });

async function readiness(): Promise<{ triggers: string[] } | undefined> {
  const r = await request(adminUrl, '/readyz');
  return r.status === 200 ? (JSON.parse(r.body) as { triggers: string[] }) : undefined;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-node-wiring-'));
  const store = join(work, 'store');
  const trusted = newKey();
  const keyFile = join(work, 'trusted.pem');
  await writeFile(keyFile, trusted.publicPem);
  const wasm = async (name: string) => new Uint8Array(await readFile(await buildExample(name)));
  const repo = (name: string) => ({ kind: 'registry' as const, registry: HOST, repository: `wiring/${name}` });
  refs = { echo: await publish(repo('echo'), await wasm('echo'), trusted, store), counter: await publish(repo('counter'), await wasm('kv-counter'), trusted, store) };

  nc = await connect({ servers: harness().nats.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  stream = uniqueName('wiring').replaceAll('-', '_');
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });

  manifests = join(work, 'manifests');
  stateDir = join(work, 'state');
  await writeManifests(manifests, 'shop.yaml', render(true));
  node = spawn(process.execPath, [
    'cli/main.ts', 'node',
    '--manifests', manifests,
    '--port', '0',
    '--admin-port', '0',
    '--nats-url', harness().nats.url,
    '--node-name', 'wiring',
    '--local-store', store,
    '--trust-key', keyFile,
    '--cache-dir', join(work, 'cache'),
    '--state-dir', stateDir,
    '--workers', '2',
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  adminUrl = await new Promise<string>((resolve, reject) => {
    node.once('exit', (code) => reject(new Error(`flotilla node exited with ${code} before listening`)));
    createInterface({ input: node.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; adminUrl?: string; level?: number };
      if (entry.msg === 'Node runtime listening' && entry.adminUrl) resolve(entry.adminUrl);
      else if ((entry.level ?? 0) >= 40) process.stderr.write(`[flotilla node] ${line}\n`);
    });
  });
  await waitFor(readiness, { timeoutMs: 60_000, what: 'node ready' });
}, 600_000);

afterAll(async () => {
  if (node.exitCode === null) {
    const exited = new Promise((r) => node.once('exit', r));
    node.kill('SIGTERM');
    await exited;
  }
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.drain();
  await rm(work, { recursive: true, force: true });
});

it('runs the manifest directory\'s NATS triggers: the function answers and a kv-bound function keeps its count on disk', async () => {
  expect((await readiness())?.triggers).toEqual(['shop/orders', 'shop/visits']);

  const order = await reply(await send(`${stream}.orders`, 'two lamps'), 'the echo result');
  expect(order).toContain('method: POST');
  expect(order).toContain(`header: HTTP_CE_SUBJECT=${stream}.orders`);
  expect(order).toMatch(/body:\ntwo lamps/);

  expect(await reply(await send(`${stream}.visits`, 'a'), 'the first count')).toContain('count=1');
  expect(await reply(await send(`${stream}.visits`, 'b'), 'the second count')).toContain('count=2');
  // The counter's keys live under --state-dir/<namespace>/<name>/.
  expect((await readdir(join(stateDir, 'shop', 'counter'))).length).toBeGreaterThan(0);

  // Counted once the source has acked, which may be a moment after the reply went out.
  const expected = [
    'flotilla_trigger_events_total{function="shop/echo",trigger="shop/orders",outcome="ok"} 1',
    'flotilla_trigger_events_total{function="shop/counter",trigger="shop/visits",outcome="ok"} 2',
  ];
  const metrics = await waitFor(async () => {
    const body = (await request(adminUrl, '/metrics')).body;
    return expected.every((line) => body.includes(line)) ? body : undefined;
  }, { timeoutMs: 10_000, what: 'trigger metrics' });
  expect(metrics).toContain('# TYPE flotilla_trigger_dead_letters_total counter');
}, 120_000);

it('stops consuming when the trigger leaves the manifest directory, without a restart', async () => {
  await writeManifests(manifests, 'shop.yaml', render(false));
  await waitFor(async () => ((await readiness())?.triggers.join() === 'shop/visits' ? true : undefined), { timeoutMs: 30_000, what: 'the orders trigger stopped' });

  const unanswered = await send(`${stream}.orders`, 'nobody listens');
  // The other trigger still runs on the same node process, with its state.
  expect(await reply(await send(`${stream}.visits`, 'c'), 'the third count')).toContain('count=3');
  await new Promise((r) => setTimeout(r, 2000));
  expect(replies.get(unanswered)).toEqual([]);
  // The message waits in the durable consumer (shop-orders) that no node pulls from any more.
  const info = await jsm.consumers.info(stream, 'shop-orders');
  expect(info.num_pending + info.num_ack_pending).toBe(1);
  expect(node.exitCode).toBeNull();
}, 120_000);
