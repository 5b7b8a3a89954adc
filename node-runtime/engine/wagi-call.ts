/** One WAGI invocation on a module's instances: stdin and env in, parsed CGI response out. */
import { NodeRuntimeError } from '../errors.ts';
import { bytesInput, CollectingSink, type OutputSink } from '../wasi/host.ts';
import { parseCgiResponse, type CgiResponse } from '../wasi/wagi.ts';
import type { ModuleInstances } from './instances.ts';

/** Bytes of a function's stderr kept per invocation for the log line; the rest is dropped. */
export const STDERR_KEEP_BYTES = 4096;

export interface WagiCall {
  readonly stdin: Uint8Array;
  readonly env: readonly string[];
  readonly maxResponseBytes: number;
}

export interface WagiOutcome {
  readonly response: CgiResponse;
  readonly stderr: string;
  readonly cold: boolean;
  readonly initMicros: number;
}

/** Keeps the first `keep` bytes and silently drops the rest: stderr is diagnostics, not output. */
class HeadSink implements OutputSink {
  private readonly inner: CollectingSink;
  constructor(keep: number) {
    this.inner = new CollectingSink(keep, () => {
      throw new Error('unreachable');
    });
  }
  write(bytes: Uint8Array): void {
    const room = this.inner.limit - this.inner.length;
    if (room > 0) this.inner.write(bytes.subarray(0, room));
  }
  text(): string {
    return new TextDecoder().decode(this.inner.bytes());
  }
}

/** Runs one WAGI request. Failures (traps, exit codes, bad output, limits) throw a NodeRuntimeError. */
export function callWagi(instances: ModuleInstances, call: WagiCall, onError?: (stderr: string) => void): WagiOutcome {
  const name = instances.loaded.name;
  const stdout = new CollectingSink(call.maxResponseBytes, () => {
    throw new NodeRuntimeError('ResponseTooLarge', `function ${name}: expected a response of at most ${call.maxResponseBytes} bytes, got more; return less or raise the node's response limit`);
  });
  const stderr = new HeadSink(STDERR_KEEP_BYTES);
  try {
    const result = instances.run({ args: [name], env: call.env, stdin: bytesInput(call.stdin), stdout, stderr });
    if (result.exitCode !== 0) {
      throw new NodeRuntimeError('FunctionExited', `function ${name} exited with code ${result.exitCode}; expected 0 (see its stderr in the node log)`);
    }
    return { response: parseCgiResponse(name, stdout.bytes()), stderr: stderr.text(), cold: result.cold, initMicros: result.initMicros };
  } catch (err) {
    onError?.(stderr.text());
    throw err;
  }
}
