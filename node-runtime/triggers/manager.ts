/**
 * Runs the FunctionTriggers of the functions this node hosts: computes each trigger's definition
 * (plan, ack wait) from the desired state, starts what is new or changed on its kind's source
 * (sources.ts), stops what is gone. Every node hosting a trigger's function runs it; the sources
 * make that safe (one durable consumer, one shared subscription group, one claim per cron tick).
 * It also wires chaining: local invokes here, remote ones over NATS, and serves this node's
 * functions to other nodes.
 */
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions, type NatsCredentials } from './nats-credentials.ts';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { FunctionTrigger } from '../../api/index.ts';
import { planChain } from '../chain/plan.ts';
import { InvokeService, RemoteInvoker } from '../chain/remote.ts';
import { ChainRunner } from '../chain/runner.ts';
import type { TickClaims } from './cron/claims.ts';
import { ACK_MARGIN_MS, type RunningTrigger, type TriggerDef, type TriggerEvents } from './definition.ts';
import type { FunctionInvoker } from './invoker.ts';
import { closeSources, createSources, runsAsSource, startTrigger, type TriggerSources } from './sources.ts';

export interface EventRuntimeOptions {
  readonly invoker: FunctionInvoker;
  readonly logger: Logger;
  readonly nodeName: string;
  /** The cluster's NATS: chaining between nodes and cron claims. Absent: this node alone. */
  readonly natsUrl?: string;
  /** The pool's NATS credentials (--nats-creds). Absent: connect unauthenticated. */
  readonly natsCredentials?: NatsCredentials;
  /**
   * How cron ticks are claimed once per cluster, e.g. LeaseTickClaims with an API server.
   * @default NATS KV claims when natsUrl is set, else every tick is this node's
   */
  readonly tickClaims?: TickClaims;
  readonly events?: TriggerEvents;
}

/** What the node hosts, as far as triggers care. */
export interface HostedFunctions {
  /** Function key -> its timeout in ms. */
  readonly timeouts: ReadonlyMap<string, number>;
}

export interface TriggerProblem {
  readonly trigger: string;
  readonly error: Error;
}

/** The default timeout assumed for a chain step hosted elsewhere (its own node enforces the real one). */
const REMOTE_STEP_TIMEOUT_MS = 30_000;

/** The runtime definition of a FunctionTrigger; throws TriggerError for a chain it refuses. */
export function triggerDef(t: FunctionTrigger, hosted: HostedFunctions): TriggerDef {
  const namespace = t.metadata.namespace ?? 'default';
  const plan = planChain(namespace, t.spec.functionRef, t.spec.next);
  const ackWaitMs = plan.reduce((n, fn) => n + (hosted.timeouts.get(fn) ?? REMOTE_STEP_TIMEOUT_MS), 0) + ACK_MARGIN_MS;
  return { key: `${namespace}/${t.metadata.name}`, spec: t.spec, plan, ackWaitMs };
}

export class EventRuntime {
  private readonly options: EventRuntimeOptions;
  private readonly runningTriggers = new Map<string, { identity: string; trigger: RunningTrigger }>();
  private hosted: HostedFunctions = { timeouts: new Map() };
  private readonly sources: TriggerSources;
  private readonly service: InvokeService | undefined;
  private readonly cluster: NatsConnection | undefined;

  private constructor(options: EventRuntimeOptions, cluster: NatsConnection | undefined) {
    this.options = options;
    this.cluster = cluster;
    const chain = new ChainRunner({
      local: options.invoker,
      ...(cluster ? { remote: new RemoteInvoker(cluster) } : {}),
      isLocal: (fn) => this.hosted.timeouts.has(fn),
    });
    this.sources = createSources({
      chain,
      logger: options.logger,
      nodeName: options.nodeName,
      ...(options.events ? { events: options.events } : {}),
      ...(cluster && options.natsUrl ? { cluster: { url: options.natsUrl, connection: cluster } } : {}),
      ...(options.tickClaims ? { tickClaims: options.tickClaims } : {}),
    });
    this.service = cluster ? new InvokeService(cluster, options.invoker, options.logger) : undefined;
  }

  static async start(options: EventRuntimeOptions): Promise<EventRuntime> {
    const cluster = options.natsUrl ? await connect(natsConnectOptions(options.natsUrl, options.nodeName, options.natsCredentials)) : undefined;
    return new EventRuntime(options, cluster);
  }

  /** The cluster NATS connection (shared-state stores use it too), if configured. */
  get nats(): NatsConnection | undefined {
    return this.cluster;
  }

  /** Keys ("ns/name") of the triggers running now, sorted. */
  running(): string[] {
    return [...this.runningTriggers.keys()].sort();
  }

  /**
   * Converges to the desired triggers. Returns the triggers that could not start (their error
   * says why); the others run. Level-based: call it with the whole state on every change.
   */
  async apply(triggers: readonly FunctionTrigger[], hosted: HostedFunctions): Promise<TriggerProblem[]> {
    this.hosted = hosted;
    this.service?.serve(hosted.timeouts.keys());
    const problems: TriggerProblem[] = [];
    const want = new Map<string, TriggerDef>();
    for (const t of triggers) {
      if (!runsAsSource(t.spec.type)) continue;
      try {
        const def = triggerDef(t, hosted);
        if (hosted.timeouts.has(def.plan[0]!)) want.set(def.key, def);
      } catch (err) {
        problems.push({ trigger: `${t.metadata.namespace ?? 'default'}/${t.metadata.name}`, error: err as Error });
      }
    }
    for (const [key, r] of this.runningTriggers) {
      const def = want.get(key);
      if (!def || JSON.stringify(def) !== r.identity) {
        this.runningTriggers.delete(key);
        await r.trigger.stop();
      }
    }
    for (const [key, def] of want) {
      if (this.runningTriggers.has(key)) continue;
      try {
        this.runningTriggers.set(key, { identity: JSON.stringify(def), trigger: await startTrigger(this.sources, def) });
      } catch (err) {
        problems.push({ trigger: key, error: err as Error });
        this.options.logger.warn({ trigger: key, err: (err as Error).message }, 'Trigger did not start');
      }
    }
    return problems;
  }

  async close(): Promise<void> {
    await Promise.all([...this.runningTriggers.values()].map((r) => r.trigger.stop()));
    this.runningTriggers.clear();
    this.service?.close();
    await closeSources(this.sources);
    await this.cluster?.drain().catch(() => undefined);
  }
}
