// NATS with JetStream and Mosquitto are real brokers: a stream stores a message that a durable
// consumer then reads and acks; an MQTT subscriber receives what a second client publishes.
import { describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import mqtt from 'mqtt';
import { harness, uniqueName } from '../../harness/index.ts';

describe('messaging smoke', () => {
  it('JetStream: create a stream, publish, consume and ack', async () => {
    const nc = await connect({ servers: harness().nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const name = uniqueName('smoke').replace(/-/g, '_');
      await jsm.streams.add({ name, subjects: [`${name}.>`] });
      const js = jetstream(nc);
      const ack = await js.publish(`${name}.hello`, 'hello from flotilla');
      expect(ack.stream).toBe(name);
      await jsm.consumers.add(name, { durable_name: 'smoke', ack_policy: 'explicit' });
      const consumer = await js.consumers.get(name, 'smoke');
      const msg = await consumer.next({ expires: 5000 });
      expect(msg?.string()).toBe('hello from flotilla');
      msg?.ack();
      expect((await jsm.streams.info(name)).state.messages).toBe(1);
      await jsm.streams.delete(name);
    } finally {
      await nc.close();
    }
  });

  it('MQTT: a subscriber receives a published message', async () => {
    const url = harness().mqtt.url;
    const topic = `flotilla/${uniqueName('smoke')}`;
    const sub = await mqtt.connectAsync(url);
    const pub = await mqtt.connectAsync(url);
    try {
      const received = new Promise<string>((resolve) => sub.on('message', (t, payload) => t === topic && resolve(payload.toString())));
      await sub.subscribeAsync(topic, { qos: 1 });
      await pub.publishAsync(topic, 'ping', { qos: 1 });
      expect(await received).toBe('ping');
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });
});
