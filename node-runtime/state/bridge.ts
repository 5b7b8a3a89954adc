/**
 * Synchronous guest calls over an asynchronous store. A host import runs on the worker thread while
 * the guest waits, but a NATS KV call is async and its connection lives on the node's main thread.
 * So the worker posts the request on a BroadcastChannel with a SharedArrayBuffer and blocks in
 * Atomics.wait; the main thread runs the async call, writes the answer into the buffer and
 * Atomics.notify wakes the worker. Cost measured in bench/triggers (docs/performance.md).
 *
 * Answer layout (Int32 slots): [0] sequence number of the answered request, [1] KV_STATUS code,
 * [2] byte length of the data from byte 12 (the value, the key list or an error message).
 */
import { BroadcastChannel } from 'node:worker_threads';
import { KV_STATUS, KvError, listBytes, MAX_LIST_BYTES, MAX_VALUE_BYTES, type KvCode } from './abi.ts';
import type { AsyncKvStore, SyncKvStore } from './store.ts';

/** How long a guest's kv call may wait for the main thread before it fails with Unavailable. */
export const BRIDGE_TIMEOUT_MS = 5000;

const DATA = 12;
const CAPACITY = DATA + Math.max(MAX_VALUE_BYTES, MAX_LIST_BYTES);
const encoder = new TextEncoder();

type Op = 'get' | 'set' | 'delete' | 'list';

interface Request {
  readonly sab: SharedArrayBuffer;
  readonly seq: number;
  readonly bucket: string;
  readonly op: Op;
  readonly key: string;
  readonly value?: Uint8Array;
  readonly ttlSeconds?: number;
}

const CODE_BY_STATUS = new Map(Object.entries(KV_STATUS).map(([k, v]) => [v, k as KvCode | 'Ok']));

/** Main-thread side: answers the workers' requests from the async stores. */
export class KvBridgeServer {
  readonly channel: string;
  private readonly bc: BroadcastChannel;
  private readonly storeFor: (bucket: string) => AsyncKvStore;

  constructor(channel: string, storeFor: (bucket: string) => AsyncKvStore) {
    this.channel = channel;
    this.storeFor = storeFor;
    this.bc = new BroadcastChannel(channel);
    this.bc.onmessage = (event) => void this.answer((event as { data: Request }).data);
    // Listening must not keep the process alive on its own.
    this.bc.unref();
  }

  close(): void {
    this.bc.close();
  }

  private async answer(req: Request): Promise<void> {
    let status = KV_STATUS.Ok;
    let data: Uint8Array = new Uint8Array(0);
    try {
      const store = this.storeFor(req.bucket);
      switch (req.op) {
        case 'get': {
          const v = await store.get(req.key);
          if (v === undefined) status = KV_STATUS.NotFound;
          else data = v;
          break;
        }
        case 'set':
          await store.set(req.key, req.value ?? new Uint8Array(0), req.ttlSeconds ?? 0);
          break;
        case 'delete':
          await store.delete(req.key);
          break;
        case 'list':
          data = listBytes(await store.list(req.key));
          break;
      }
    } catch (err) {
      status = err instanceof KvError ? KV_STATUS[err.code] : KV_STATUS.Unavailable;
      data = encoder.encode(err instanceof Error ? err.message : String(err));
    }
    const bytes = new Uint8Array(req.sab);
    const n = Math.min(data.length, CAPACITY - DATA);
    bytes.set(data.subarray(0, n), DATA);
    const slots = new Int32Array(req.sab);
    slots[1] = status;
    slots[2] = n;
    Atomics.store(slots, 0, req.seq);
    Atomics.notify(slots, 0);
  }
}

/** Worker side: a SyncKvStore that blocks on the bridge. One call at a time (a worker runs one guest). */
export class BridgeKvStore implements SyncKvStore {
  private readonly bc: BroadcastChannel;
  private readonly bucket: string;
  private sab = new SharedArrayBuffer(CAPACITY);
  private seq = 0;

  constructor(channel: string, bucket: string) {
    this.bucket = bucket;
    this.bc = new BroadcastChannel(channel);
    this.bc.unref();
  }

  get(key: string): Uint8Array | undefined {
    const r = this.call({ op: 'get', key });
    return r === undefined ? undefined : r;
  }

  set(key: string, value: Uint8Array, ttlSeconds: number): void {
    this.call({ op: 'set', key, value, ttlSeconds });
  }

  delete(key: string): void {
    this.call({ op: 'delete', key });
  }

  list(prefix: string): string[] {
    const r = this.call({ op: 'list', key: prefix });
    return r ? new TextDecoder().decode(r).split('\n').filter((k) => k !== '') : [];
  }

  close(): void {
    this.bc.close();
  }

  /** The answer's data, or undefined for NotFound; other failures throw their KvError. */
  private call(req: { op: Op; key: string; value?: Uint8Array; ttlSeconds?: number }): Uint8Array | undefined {
    const seq = ++this.seq;
    const slots = new Int32Array(this.sab);
    this.bc.postMessage({ ...req, sab: this.sab, seq, bucket: this.bucket } satisfies Request);
    const deadline = Date.now() + BRIDGE_TIMEOUT_MS;
    while (Atomics.load(slots, 0) !== seq) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(slots, 0, Atomics.load(slots, 0), left) === 'timed-out') {
        // A late answer must not land in the next call's buffer.
        this.sab = new SharedArrayBuffer(CAPACITY);
        throw new KvError('Unavailable', `state store: no answer from the node within ${BRIDGE_TIMEOUT_MS} ms; is NATS reachable?`);
      }
    }
    const status = slots[1]!;
    const data = new Uint8Array(this.sab, DATA, slots[2]).slice();
    if (status === KV_STATUS.Ok) return data;
    if (status === KV_STATUS.NotFound) return undefined;
    const code = CODE_BY_STATUS.get(status);
    throw new KvError(code === undefined || code === 'Ok' ? 'Unavailable' : code, new TextDecoder().decode(data));
  }
}
