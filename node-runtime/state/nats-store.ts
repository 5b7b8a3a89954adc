/**
 * A function's state in a NATS JetStream KV bucket, shared by every node of the cluster that
 * connects to the same server. Async: it runs on the node's main thread, and workers reach it
 * through the bridge (bridge.ts). Keys are hex-encoded (NATS KV keys allow a narrow alphabet).
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { decodeKey, encodeKey } from './abi.ts';
import { open, seal } from './envelope.ts';
import type { AsyncKvStore } from './store.ts';

export class NatsKvStore implements AsyncKvStore {
  private readonly bucket: Promise<KV>;
  private readonly now: () => number;

  constructor(bucket: Promise<KV>, now: () => number = Date.now) {
    this.bucket = bucket;
    this.now = now;
  }

  /** Opens (creating when missing) the bucket `name`; one value per key, no history. */
  static open(nc: NatsConnection, name: string): NatsKvStore {
    return new NatsKvStore(new Kvm(nc).create(name, { history: 1 }));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const kv = await this.bucket;
    const entry = await kv.get(encodeKey(key));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return open(entry.value, this.now());
  }

  async set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    const kv = await this.bucket;
    await kv.put(encodeKey(key), seal(value, ttlSeconds, this.now()));
  }

  async delete(key: string): Promise<void> {
    const kv = await this.bucket;
    await kv.delete(encodeKey(key));
  }

  async list(prefix: string): Promise<string[]> {
    const kv = await this.bucket;
    const hexPrefix = prefix ? encodeKey(prefix) : '';
    const out: string[] = [];
    const candidates: string[] = [];
    for await (const k of await kv.keys()) if (k.startsWith(hexPrefix)) candidates.push(k);
    for (const k of candidates) {
      const entry = await kv.get(k);
      if (entry?.operation === 'PUT' && open(entry.value, this.now()) !== undefined) out.push(decodeKey(k));
    }
    return out;
  }
}
