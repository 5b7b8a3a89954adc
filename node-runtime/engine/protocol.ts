/** Messages between the node's main thread and its invocation workers (structured-cloned). */
import type { SerializedError } from '../errors.ts';
import type { LoadedModule } from './instances.ts';

export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  /** Identity of the loaded module (function + digest + limits); the worker caches instances by it. */
  readonly moduleId: string;
  /** Sent the first time this worker sees `moduleId`: a compiled WebAssembly.Module clones cheaply. */
  readonly module?: LoadedModule;
  readonly stdin: Uint8Array;
  /** The env entries joined with NUL: one string clones far cheaper than an array of them. */
  readonly envBlock: string;
  readonly maxResponseBytes: number;
}

export interface DropMessage {
  readonly type: 'drop';
  readonly moduleId: string;
}

export type ToWorker = InvokeMessage | DropMessage;

interface DoneBase {
  readonly type: 'done';
  readonly id: number;
  readonly stderr: string;
  /** Live instances in this worker after the call. */
  readonly instances: number;
}

export interface DoneOk extends DoneBase {
  readonly ok: true;
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  readonly cold: boolean;
  readonly initMicros: number;
}

export interface DoneFailed extends DoneBase {
  readonly ok: false;
  readonly error: SerializedError;
}

export type FromWorker = DoneOk | DoneFailed;
