/**
 * "Fires once per cluster": each tick of a schedule is claimed by exactly one node with a NATS
 * JetStream KV compare-and-set (`create` succeeds only for the first writer of a key). The claim key
 * is the tick's time, so nodes need no leader and no clock agreement beyond the tick itself; a
 * second marker remembers the last fired tick for the missed-run rule. Entries expire after a day.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { CRON_CLAIMS_BUCKET } from '../../../api/nats-permissions.ts';

export interface TickClaims {
  /** True for exactly one caller per (trigger, tick) across the cluster. */
  claim(triggerKey: string, tickMs: number, nodeName: string): Promise<boolean>;
  /** The last tick any node fired, if remembered. */
  lastFired(triggerKey: string): Promise<number | undefined>;
}

/** Bucket of the claims, shared by every node connected to the same NATS. */
export const CLAIMS_BUCKET = CRON_CLAIMS_BUCKET;
const CLAIM_TTL_MS = 24 * 3600 * 1000;

const keyOf = (triggerKey: string): string => Buffer.from(triggerKey).toString('hex');

export class NatsTickClaims implements TickClaims {
  private readonly kv: Promise<KV>;

  constructor(nc: NatsConnection, bucket = CLAIMS_BUCKET) {
    this.kv = new Kvm(nc).create(bucket, { history: 1, ttl: CLAIM_TTL_MS });
    // Opened eagerly, awaited by the first claim: a refusal (no JetStream, no permission) fails that claim, not the process.
    this.kv.catch(() => undefined);
  }

  async claim(triggerKey: string, tickMs: number, nodeName: string): Promise<boolean> {
    const kv = await this.kv;
    try {
      await kv.create(`${keyOf(triggerKey)}.t${tickMs}`, new TextEncoder().encode(nodeName));
    } catch (err) {
      // Another node created the key first: that node fires this tick.
      if (err instanceof Error && /wrong last sequence|already exists/i.test(err.message)) return false;
      throw err;
    }
    await kv.put(`${keyOf(triggerKey)}.last`, new TextEncoder().encode(String(tickMs)));
    return true;
  }

  async lastFired(triggerKey: string): Promise<number | undefined> {
    const kv = await this.kv;
    const e = await kv.get(`${keyOf(triggerKey)}.last`);
    if (!e || e.operation !== 'PUT') return undefined;
    const n = Number(e.string());
    return Number.isFinite(n) ? n : undefined;
  }
}

/** Claims for a node alone (no NATS configured): every tick is this node's. */
export class LocalTickClaims implements TickClaims {
  private readonly last = new Map<string, number>();

  claim(triggerKey: string, tickMs: number): Promise<boolean> {
    if ((this.last.get(triggerKey) ?? -1) >= tickMs) return Promise.resolve(false);
    this.last.set(triggerKey, tickMs);
    return Promise.resolve(true);
  }

  lastFired(triggerKey: string): Promise<number | undefined> {
    return Promise.resolve(this.last.get(triggerKey));
  }
}
