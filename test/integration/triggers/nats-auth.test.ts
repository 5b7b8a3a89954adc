/**
 * NATS authorization (issue 16) against a real nats-server whose config is rendered by
 * api/nats-permissions.ts: one nkey user per pool, allowed only its own subjects. A `flotilla node`
 * process with `--nats-creds` runs its NATS trigger and its NATS-backed state end to end; a client
 * without credentials is refused; another pool's credentials are refused (by the server, seen as
 * its permission violations) on this pool's invoke subjects, consumers and KV bucket, and this
 * pool cannot widen its own consumer's filter; the seed appears in none of the node's output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createInbox, headers, nkeyAuthenticator, nkeys, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inboxPrefix, kvBucketName, poolPermissions, renderAuthorization, triggerDurable } from '../../../api/nats-permissions.ts';
import { startNats, type Nats } from '../../../devenv/servers/nats.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { newKey, publish, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';
import { waitFor } from '../../harness/index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const HOST = 'registry.local';
const STREAM = 'SHOP';

/** Pool A runs shop/echo and shop/counter (shared state); pool B runs shop/other; the admin sets up streams. */
const poolA = nkeys.createUser();
const poolB = nkeys.createUser();
const admin = nkeys.createUser();
const seedA = new TextDecoder().decode(poolA.getSeed());

let work: string;
let nats: Nats;
let node: ChildProcess;
let output = '';
let adminUrl: string;
let nc: NatsConnection;
let jsm: JetStreamManager;

const connectAs = (kp: nkeys.KeyPair) => connect({ servers: nats.url, authenticator: nkeyAuthenticator(kp.getSeed()), inboxPrefix: inboxPrefix(kp.getPublicKey()) });

const trigger = (name: string, functionRef: string, subject: string) => `apiVersion: flotilla.dev/v1alpha1
kind: FunctionTrigger
metadata:
  name: ${name}
  namespace: shop
spec:
  functionRef: ${functionRef}
  type: nats
  nats:
    url: ${nats.url}
    stream: ${STREAM}
    subject: ${subject}
`;

/** Publishes with a reply inbox; the node answers the function's result there. */
async function send(subject: string, body: string): Promise<string> {
  const inbox = createInbox();
  const got = new Promise<Msg>((resolve) => nc.subscribe(inbox, { max: 1, callback: (_e, m) => resolve(m) }));
  const h = headers();
  h.set('flotilla-reply-to', inbox);
  await jetstream(nc).publish(subject, body, { headers: h });
  return (await Promise.race([got, new Promise<never>((_r, reject) => setTimeout(() => reject(new Error(`no reply to ${subject} within 30 s`)), 30_000))])).string();
}

/** The server's permission violations a connection saw, collected from its status stream. */
function violations(c: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of c.status()) if (s.type === 'error') seen.push(s.error.message);
  })();
  return seen;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-nats-auth-'));
  const echo = { key: 'shop/orders', stream: STREAM, subject: `${STREAM}.orders`, durable: triggerDurable('shop/orders', undefined) };
  const visits = { key: 'shop/visits', stream: STREAM, subject: `${STREAM}.visits`, durable: triggerDurable('shop/visits', undefined) };
  const other = { key: 'shop/other', stream: STREAM, subject: `${STREAM}.other`, durable: triggerDurable('shop/other', undefined) };
  const config = renderAuthorization([
    { nkey: poolA.getPublicKey(), permissions: poolPermissions({ nkey: poolA.getPublicKey(), functions: ['shop/echo', 'shop/counter'], sharedState: ['shop/counter'], chainSteps: ['shop/echo', 'shop/counter'], natsTriggers: [echo, visits] }) },
    { nkey: poolB.getPublicKey(), permissions: poolPermissions({ nkey: poolB.getPublicKey(), functions: ['shop/other'], sharedState: [], chainSteps: ['shop/other'], natsTriggers: [other] }) },
    { nkey: admin.getPublicKey(), permissions: { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } } },
  ]);
  nats = await startNats(join(work, 'nats'), work, { config });
  nc = await connectAs(admin);
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: [`${STREAM}.>`] });

  const store = join(work, 'store');
  const trusted = newKey();
  const keyFile = join(work, 'trusted.pem');
  await writeFile(keyFile, trusted.publicPem);
  const wasm = async (name: string) => new Uint8Array(await readFile(await buildExample(name)));
  const repo = (name: string) => ({ kind: 'registry' as const, registry: HOST, repository: `nats-auth/${name}` });
  const refs = { echo: await publish(repo('echo'), await wasm('echo'), trusted, store), counter: await publish(repo('counter'), await wasm('kv-counter'), trusted, store) };
  const manifests = join(work, 'manifests');
  await writeManifests(manifests, 'shop.yaml', [
    `apiVersion: flotilla.dev/v1alpha1\nkind: WasmFunction\nmetadata:\n  name: echo\n  namespace: shop\nspec:\n  module:\n    ref: ${refs.echo}\n`,
    `apiVersion: flotilla.dev/v1alpha1\nkind: WasmFunction\nmetadata:\n  name: counter\n  namespace: shop\nspec:\n  module:\n    ref: ${refs.counter}\n  state:\n    store: nats\n`,
    trigger('orders', 'echo', echo.subject),
    trigger('visits', 'counter', visits.subject),
  ].join('---\n'));
  const creds = join(work, 'pool-a.seed');
  await writeFile(creds, `# pool A\n${seedA}\n`, { mode: 0o600 });

  node = spawn(process.execPath, [
    'cli/main.ts', 'node',
    '--manifests', manifests,
    '--port', '0',
    '--admin-port', '0',
    '--nats-url', nats.url,
    '--nats-creds', creds,
    '--node-name', 'pool-a',
    '--local-store', store,
    '--trust-key', keyFile,
    '--cache-dir', join(work, 'cache'),
    '--state-dir', join(work, 'state'),
    '--workers', '1',
    '--log-level', 'debug',
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  node.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  adminUrl = await new Promise<string>((resolve, reject) => {
    node.once('exit', (code) => reject(new Error(`flotilla node exited with ${code} before listening: ${output}`)));
    createInterface({ input: node.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const entry = JSON.parse(line) as { msg?: string; adminUrl?: string; level?: number };
      if (entry.msg === 'Node runtime listening' && entry.adminUrl) resolve(entry.adminUrl);
      else if ((entry.level ?? 0) >= 40) process.stderr.write(`[flotilla node] ${line}\n`);
    });
  });
  await waitFor(async () => {
    const r = await request(adminUrl, '/readyz');
    return r.status === 200 && (JSON.parse(r.body) as { triggers: string[] }).triggers.length === 2 ? true : undefined;
  }, { timeoutMs: 60_000, what: 'node ready with both triggers' });
}, 600_000);

afterAll(async () => {
  if (node && node.exitCode === null) {
    const exited = new Promise((r) => node.once('exit', r));
    node.kill('SIGTERM');
    await exited;
  }
  await nc?.drain();
  await nats?.stop();
  await rm(work, { recursive: true, force: true });
});

it('a node with its pool\'s credentials runs its NATS trigger and its NATS-backed state', async () => {
  expect(await send(`${STREAM}.orders`, 'two lamps')).toMatch(/body:\ntwo lamps/);
  expect(await send(`${STREAM}.visits`, 'a')).toContain('count=1');
  expect(await send(`${STREAM}.visits`, 'b')).toContain('count=2');
  // The count lives in the pool's KV bucket on the server, not on the node's disk.
  const status = await (await new Kvm(nc).open(kvBucketName('shop/counter'))).status();
  expect(status.values).toBeGreaterThan(0);
}, 120_000);

it('refuses a client without credentials', async () => {
  await expect(connect({ servers: nats.url })).rejects.toThrow(/Authorization Violation/);
});

it('refuses another pool\'s credentials on this pool\'s invoke subjects, consumers and KV bucket', async () => {
  const b = await connectAs(poolB);
  const seen = violations(b);
  try {
    // Control: B's own invoke subject is allowed, so what follows is refused by permission, not by auth.
    const own = b.subscribe('flotilla.invoke.shop.other');
    await b.flush();
    // Invoke A's function: the request is refused at publish.
    await expect(b.request('flotilla.invoke.shop.echo', 'x', { timeout: 5000 })).rejects.toThrow(/Permissions Violation for Publish to "flotilla\.invoke\.shop\.echo"/);
    // Serve A's function (steal its invocations).
    const stolen = b.subscribe('flotilla.invoke.shop.echo');
    expect((await stolen.closed)?.message).toMatch(/Permissions Violation for Subscription to "flotilla\.invoke\.shop\.echo"/);
    // Read A's trigger's messages through A's durable consumer, or a new one on A's subject.
    const bjsm = await jetstreamManager(b);
    await expect(bjsm.consumers.info(STREAM, 'shop-orders')).rejects.toThrow(/Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.INFO\.SHOP\.shop-orders"/);
    await expect(bjsm.consumers.add(STREAM, { durable_name: 'shop-other', filter_subject: `${STREAM}.orders` })).rejects.toThrow(/Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.SHOP\.shop-other\.SHOP\.orders"/);
    // Read A's state.
    const stateOfA = await new Kvm(b).open(kvBucketName('shop/counter'));
    await expect(stateOfA.get('636f756e74')).rejects.toThrow(/Permissions Violation for Publish to "\$JS\.API\.(DIRECT|STREAM\.MSG)\.GET\.KV_flotilla_kv_shop_counter/);
    await expect(stateOfA.put('636f756e74', 'x')).rejects.toThrow(/Permissions Violation for Publish to "\$KV\.flotilla_kv_shop_counter\./);
    // Read A's replies.
    const replies = b.subscribe(`${inboxPrefix(poolA.getPublicKey())}.>`);
    expect((await replies.closed)?.message).toMatch(/Permissions Violation for Subscription to "_INBOX\.U/);
    expect(own.isClosed()).toBe(false);
    expect(seen.some((m) => m.includes('flotilla.invoke.shop.echo'))).toBe(true);
  } finally {
    await b.close();
  }
}, 60_000);

it('keeps a pool to its own consumer\'s filter: A cannot widen shop-orders to the whole stream', async () => {
  const a = await connectAs(poolA);
  try {
    const ajsm = await jetstreamManager(a);
    await expect(ajsm.consumers.add(STREAM, { durable_name: 'shop-orders', filter_subject: `${STREAM}.>` })).rejects.toThrow(/Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.SHOP\.shop-orders\.SHOP\.>"/);
  } finally {
    await a.close();
  }
}, 60_000);

it('never writes the seed to its logs', () => {
  // Control: the output is the node's debug log, which did see the NATS work.
  expect(output).toContain('Started NATS trigger');
  expect(output).not.toContain(seedA);
  expect(output).not.toContain(seedA.slice(2, 30));
});
