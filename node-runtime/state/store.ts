/** The store interfaces behind `flotilla:kv`: keys are checked strings, values bytes. */

/** Answers synchronously, as a host import must while the guest waits (worker side). */
export interface SyncKvStore {
  get(key: string): Uint8Array | undefined;
  /** ttlSeconds 0 = no expiry. */
  set(key: string, value: Uint8Array, ttlSeconds: number): void;
  delete(key: string): void;
  /** Live keys starting with `prefix`, any order. */
  list(prefix: string): string[];
}

/** The same operations over the network (main-thread side, e.g. NATS KV). */
export interface AsyncKvStore {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}
