/**
 * A FunctionTrigger in the runtime's terms, and what every source is handed to run it: the
 * ready chain runner (local or remote invoke), a logger and counters. Sources are thin adapters.
 */
import type { Logger } from 'pino';
import type { FunctionTriggerSpec } from '../../api/index.ts';
import type { ChainRunner } from '../chain/runner.ts';

export interface TriggerDef {
  /** namespace/name of the FunctionTrigger. */
  readonly key: string;
  readonly spec: FunctionTriggerSpec;
  /** Function keys the event runs through (chain/plan.ts). */
  readonly plan: readonly string[];
  /**
   * How long one delivery may stay unacknowledged before the broker gives it to another consumer:
   * the chain's summed function timeouts plus a margin (so a slow success is not redelivered).
   */
  readonly ackWaitMs: number;
}

/** Counters a source reports; kept as callbacks so sources have no metrics dependency. */
export interface TriggerEvents {
  delivered?(trigger: string, outcome: 'ok' | 'retry' | 'deadLetter' | 'skipped'): void;
}

export interface TriggerContext {
  readonly chain: ChainRunner;
  readonly logger: Logger;
  /** This node's name, for claims and logs. */
  readonly nodeName: string;
  readonly events?: TriggerEvents;
}

/** A started source. */
export interface RunningTrigger {
  readonly key: string;
  stop(): Promise<void>;
}

/** Margin added to a chain's timeouts before the broker redelivers an unacknowledged event. */
export const ACK_MARGIN_MS = 2000;
