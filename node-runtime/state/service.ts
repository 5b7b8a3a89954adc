/**
 * The node's side of function state: decides each function's binding (disk by default, a NATS KV
 * bucket when state is shared by the cluster) and, for NATS, answers the workers' bridged calls on
 * the main thread. The loader puts `bindingFor(fn)` into the function's LoadedModule (`kv`).
 */
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { diskBinding, natsBinding, type KvBinding } from './binding.ts';
import { KvBridgeServer } from './bridge.ts';
import { NatsKvStore } from './nats-store.ts';

export interface StateServiceOptions {
  /** Root of the embedded stores on local disk. */
  readonly diskRoot: string;
  /** The cluster's NATS connection, for shared state; absent: only disk state. */
  readonly nats?: NatsConnection;
}

export class StateService {
  private readonly options: StateServiceOptions;
  private readonly buckets = new Map<string, NatsKvStore>();
  private readonly bridge: KvBridgeServer | undefined;

  constructor(options: StateServiceOptions) {
    this.options = options;
    const nc = options.nats;
    this.bridge = nc
      ? new KvBridgeServer(`flotilla:kv:${randomUUID()}`, (bucket) => {
          let store = this.buckets.get(bucket);
          if (!store) {
            store = NatsKvStore.open(nc, bucket);
            this.buckets.set(bucket, store);
          }
          return store;
        })
      : undefined;
  }

  /** The binding of `functionKey` ("ns/name"): `shared` asks for the cluster-wide NATS bucket. */
  bindingFor(functionKey: string, shared: boolean): KvBinding {
    if (!shared) return diskBinding(this.options.diskRoot, functionKey);
    if (!this.bridge) throw new Error(`function ${functionKey} asks for shared state, but this node has no NATS connection; start the node with a NATS URL (flotilla node --nats-url)`);
    return natsBinding(this.bridge.channel, functionKey);
  }

  close(): void {
    this.bridge?.close();
  }
}
