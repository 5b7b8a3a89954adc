/**
 * A FunctionTrigger in the runtime's terms, and the contract of a source (Spin's `Trigger`): one
 * per kind, created once per runtime with what the node shares, then handed each trigger of its
 * kind with a ready chain runner (local or remote invoke), a logger and counters. Sources are thin
 * adapters; sources.ts keys them by kind.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { FunctionTriggerSpec, SourceTriggerType, TriggerSection } from '../../api/index.ts';
import type { ChainRunner } from '../chain/runner.ts';
import type { TickClaims } from './cron/claims.ts';

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

/** What a source is created with, once per runtime: the trigger context and what the node shares. */
export interface SourceHost extends TriggerContext {
  /** The cluster's NATS (its URL and open connection), when the node has one. */
  readonly cluster?: { readonly url: string; readonly connection: NatsConnection };
  /**
   * How the cron source claims a tick once per cluster.
   * @default NATS KV claims on the cluster's NATS, else every tick is this node's
   */
  readonly tickClaims?: TickClaims;
}

/** The source of one trigger kind: starts each trigger of that kind from its section (`spec.<type>`). */
export interface TriggerSource<T extends SourceTriggerType> {
  start(def: TriggerDef, section: TriggerSection<T>): Promise<RunningTrigger>;
  /** Releases what the source shares between its triggers (connections), after they stopped. */
  close?(): Promise<void>;
}

/** Margin added to a chain's timeouts before the broker redelivers an unacknowledged event. */
export const ACK_MARGIN_MS = 2000;
