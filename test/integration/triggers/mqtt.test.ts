/**
 * The mqtt source against the real Mosquitto 2 (MQTT 5, QoS 1): a shared subscription splits a
 * topic between two nodes with nothing lost or doubled, and failures are retried then dead-lettered
 * with the error in user properties.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskKvStore } from '../../../node-runtime/state/disk-store.ts';
import { harness, uniqueName } from '../../harness/index.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { eventually, startNodeProcess, startTestNode, trigger, type TestNode, type TestNodeConfig } from '../../../node-runtime/testing/trigger-node.ts';

let counter: string;
let client: MqttClient;
const open: TestNode[] = [];

beforeAll(async () => {
  counter = await buildExample('kv-counter');
  client = await mqtt.connectAsync(harness().mqtt.url, { protocolVersion: 5 });
}, 300_000);
afterAll(async () => {
  await Promise.all(open.map((n) => n.close()));
  await client.endAsync();
}, 20_000);

describe('mqtt trigger', () => {
  it('splits a topic shared by two nodes between them, each message processed once', async () => {
    const topic = uniqueName('telemetry');
    const t = trigger('fleet', 'telemetry', { functionRef: 'counter', type: 'mqtt', mqtt: { url: harness().mqtt.url, topic: `${topic}/#`, qos: 1 } });
    const roots = ['a', 'b'].map((name) => mkdtempSync(join(tmpdir(), `mqtt-${name}-`)));
    const nodes = await Promise.all(['a', 'b'].map(async (name, i) => {
      const n = await startTestNode({ name: `mqtt-${name}`, diskRoot: roots[i]!, functions: { 'fleet/counter': { wasm: counter } }, triggers: [t] });
      open.push(n);
      return n;
    }));
    const total = 40;
    for (let i = 0; i < total; i++) await client.publishAsync(`${topic}/sensor-${i}`, `reading ${i}`, { qos: 1, properties: { userProperties: { 'ce-id': `r-${i}` } } });
    await eventually(() => (nodes[0]!.invoker.calls.length + nodes[1]!.invoker.calls.length >= total ? true : undefined), 20_000, `${total} invocations`);
    await new Promise((r) => setTimeout(r, 500));
    const [a, b] = nodes.map((n) => n.invoker.calls.length);
    expect(a! + b!).toBe(total);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    // Every message counted exactly once, on one node or the other.
    const stores = roots.map((r) => new DiskKvStore(join(r, 'fleet', 'counter')));
    for (let i = 0; i < total; i++) {
      const counts = stores.map((st) => Number(new TextDecoder().decode(st.get(`count/${topic}/sensor-${i}`) ?? new Uint8Array())));
      expect(counts[0]! + counts[1]!, `message ${i}`).toBe(1);
    }
  });

  it('retries a failing message, then publishes it to the dead-letter topic with its error', async () => {
    const topic = uniqueName('commands');
    const dlq = `${topic}-dlq`;
    const t = trigger('fleet', 'commands', { functionRef: 'counter', type: 'mqtt', mqtt: { url: harness().mqtt.url, topic, qos: 1 }, retry: { maxAttempts: 2, backoff: { initialMs: 50, maxMs: 100, multiplier: 2 } }, deadLetter: { target: dlq } });
    const node = await startTestNode({ name: 'mqtt-dlq', diskRoot: mkdtempSync(join(tmpdir(), 'mqtt-dlq-')), functions: { 'fleet/counter': { wasm: counter, env: { FAIL_TIMES: '1000' } } }, triggers: [t] });
    open.push(node);
    const letters: { body: string; props: Record<string, unknown> }[] = [];
    const watcher = await mqtt.connectAsync(harness().mqtt.url, { protocolVersion: 5 });
    watcher.on('message', (_t, payload, packet) => letters.push({ body: payload.toString(), props: { ...packet.properties?.userProperties } }));
    await watcher.subscribeAsync(dlq, { qos: 1 });
    try {
      await client.publishAsync(topic, 'reboot', { qos: 1, properties: { userProperties: { 'ce-id': 'cmd-1', 'x-device': 'd7' } } });
      const [letter] = await eventually(() => (letters.length ? letters : undefined), 10_000, 'a dead letter');
      expect(letter!.body).toBe('reboot');
      expect(letter!.props).toMatchObject({
        'x-device': 'd7',
        'ce-id': 'cmd-1',
        'flotilla-error-code': 'FunctionFailed',
        'flotilla-error': 'function fleet/counter answered status 500: failing attempt 2 of 1000 on purpose',
        'flotilla-deliveries': '2',
        'idempotency-key': 'fleet/commands:cmd-1',
      });
      expect(node.invoker.calls).toEqual(['fleet/counter', 'fleet/counter']);
    } finally {
      await watcher.endAsync();
    }
  });

  it('redelivers a message in flight on a killed node when that node comes back (its session persists)', async () => {
    const topic = uniqueName('jobs');
    const t = trigger('fleet', 'jobs', { functionRef: 'counter', type: 'mqtt', mqtt: { url: harness().mqtt.url, topic, qos: 1 } });
    const config: TestNodeConfig = {
      name: 'mqtt-phoenix',
      diskRoot: mkdtempSync(join(tmpdir(), 'mqtt-doomed-')),
      functions: { 'fleet/counter': { wasm: counter, env: { SPIN: '100000' }, timeoutMs: 60_000 } },
      triggers: [t],
    };
    const doomed = await startNodeProcess(config);
    try {
      await client.publishAsync(topic, 'job 1', { qos: 1, properties: { userProperties: { 'ce-id': 'job-1' } } });
      await doomed.waitForOutput('invoke fleet/counter', 10_000, 'the doomed node to start the work');
    } finally {
      await doomed.kill();
    }

    // The same node name is the same MQTT client id, so it resumes the session the broker kept.
    const root = mkdtempSync(join(tmpdir(), 'mqtt-phoenix-'));
    const back = await startTestNode({ ...config, diskRoot: root, functions: { 'fleet/counter': { wasm: counter } } });
    open.push(back);
    await eventually(() => (back.invoker.calls.length ? true : undefined), 15_000, 'the redelivery');
    const done = new DiskKvStore(join(root, 'fleet', 'counter')).get('done/fleet/jobs:job-1');
    expect(done && new TextDecoder().decode(done)).toBe('1');
  });
});
