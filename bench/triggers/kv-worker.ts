/**
 * Worker side of the kv micro-benchmark: times `n` gets and sets on a store opened from a binding,
 * in a worker thread as in the engine (the NATS bridge blocks this thread in Atomics.wait).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KvBinding } from '../../node-runtime/state/binding.ts';
import { openSyncStore } from '../../node-runtime/state/kv-host.ts';

const { binding, n } = workerData as { binding: KvBinding; n: number };
const store = openSyncStore(binding);
const value = new TextEncoder().encode('x'.repeat(100));
const time = (op: () => void): number[] => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    op();
    out.push((performance.now() - t0) * 1000);
  }
  return out.sort((a, b) => a - b);
};
store.set('k', value, 0);
const set = time(() => store.set('k', value, 0));
const get = time(() => store.get('k'));
parentPort!.postMessage({ get, set });
