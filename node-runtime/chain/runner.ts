/**
 * Runs an event through a chain: each step on this node when the function is here, on another
 * node through NATS otherwise (remote.ts). One trace: every step's traceparent is the previous
 * step's span, so all steps share the event's trace id. A step fails when its invocation fails or
 * it answers a status >= 400; the chain stops there and the source's retry policy takes over.
 */
import type { EventOutcome, FunctionInvoker } from '../triggers/invoker.ts';
import { eventRequest, type TriggerEvent } from '../triggers/event.ts';

export interface ChainStep {
  readonly functionKey: string;
  readonly where: 'local' | 'remote';
  readonly invocationId: string;
  readonly traceparent: string;
}

export type ChainResult =
  | { readonly ok: true; readonly status: number; readonly body: Uint8Array; readonly traceparent: string; readonly steps: readonly ChainStep[] }
  | { readonly ok: false; readonly functionKey: string; readonly code: string; readonly message: string; readonly steps: readonly ChainStep[] };

export interface ChainRunnerOptions {
  readonly local: FunctionInvoker;
  /** Absent: every step must be local (no NATS connection configured). */
  readonly remote?: FunctionInvoker;
  /** Whether this node hosts a function right now. */
  readonly isLocal: (functionKey: string) => boolean;
}

/** Body bytes quoted in a failure message. */
const QUOTE_BYTES = 200;

export class ChainRunner {
  private readonly options: ChainRunnerOptions;

  constructor(options: ChainRunnerOptions) {
    this.options = options;
  }

  async run(plan: readonly string[], event: TriggerEvent, trigger: string): Promise<ChainResult> {
    const steps: ChainStep[] = [];
    let payload = event.data;
    let traceparent = event.traceparent;
    let last: Extract<EventOutcome, { ok: true }> | undefined;
    for (const [i, fn] of plan.entries()) {
      const local = this.options.isLocal(fn);
      const invoker = local ? this.options.local : this.options.remote;
      if (!invoker) return { ok: false, functionKey: fn, code: 'RemoteInvokeFailed', message: `function ${fn} is not on this node and no NATS connection is configured to reach another`, steps };
      const request = eventRequest(event, traceparent, plan.length > 1 ? { 'flotilla-chain-step': `${i + 1}/${plan.length}` } : {});
      const out = await invoker.invoke(fn, payload, { trigger, request, ...(traceparent ? { traceparent } : {}) });
      steps.push({ functionKey: fn, where: local ? 'local' : 'remote', invocationId: out.invocationId, traceparent: out.traceparent });
      if (!out.ok) return { ok: false, functionKey: fn, code: out.error.code, message: out.error.message, steps };
      if (out.status >= 400) {
        const quote = new TextDecoder().decode(out.body.subarray(0, QUOTE_BYTES)).trim();
        return { ok: false, functionKey: fn, code: 'FunctionFailed', message: `function ${fn} answered status ${out.status}${quote ? `: ${quote}` : ''}`, steps };
      }
      last = out;
      payload = out.body;
      traceparent = out.traceparent || traceparent;
    }
    return { ok: true, status: last?.status ?? 200, body: payload, traceparent: traceparent ?? '', steps };
  }
}
