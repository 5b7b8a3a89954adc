import type { Logger } from 'pino';
import { Informer, LEASE_TYPE, resourcePath, sleep } from '../runtime/index.ts';
import type { Clock, KubeClient, KubeObject } from '../runtime/index.ts';
import { CONFIG_MAP_TYPE } from '../kinds.ts';
import type { ConfigMap } from './assignment.ts';
import { ASSIGNMENT_KEY, nodeObjectName } from './contract.ts';
import type { NodeAssignment, NodeCapacity, NodeReport } from './contract.ts';
import { nodeLease } from './node-lease.ts';

/** The field manager of node runtimes' writes (the operator's is flotilla-operator). */
export const NODE_FIELD_MANAGER = 'flotilla-node';

export interface NodeAgentOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** The WasmRuntime's namespace and name: the pool this node belongs to. */
  readonly namespace: string;
  readonly runtime: string;
  readonly node: string;
  /** This process (pod name, or host + pid): the Lease holder. */
  readonly holder: string;
  /** @default 10 */
  readonly leaseDurationSeconds?: number;
  /** @default a third of the lease duration */
  readonly heartbeatMs?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly capacity?: NodeCapacity;
  readonly version?: string;
  readonly endpoint?: string;
}

/**
 * The node runtime's side of the operator contract (contract.ts): heartbeats the node Lease with
 * the node's report, and delivers each new NodeAssignment from the node's ConfigMap. A report change
 * is sent at once rather than at the next beat, so Ready follows loading closely. stop() releases
 * the Lease (holder cleared), so the operator moves the node's functions away without waiting for
 * expiry.
 */
export class NodeAgent {
  private readonly opts: NodeAgentOptions;
  private readonly informer: Informer<ConfigMap & KubeObject>;
  private report: NodeReport = {};
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastAssignment = '';

  constructor(opts: NodeAgentOptions) {
    this.opts = opts;
    this.informer = new Informer({ client: opts.client, clock: opts.clock, log: opts.log }, {
      type: CONFIG_MAP_TYPE,
      namespace: opts.namespace,
      fieldSelector: `metadata.name=${nodeObjectName(opts.node)}`,
    });
  }

  /** Registers (first heartbeat), then calls `onAssignment` for the current and every changed assignment. */
  async start(onAssignment: (assignment: NodeAssignment) => void): Promise<void> {
    this.informer.onChange((change) => {
      const text = change.type === 'Deleted' ? '' : (change.object.data?.[ASSIGNMENT_KEY] ?? '');
      if (text === this.lastAssignment) return;
      this.lastAssignment = text;
      try {
        onAssignment(text === '' ? { node: this.opts.node, functions: [], routes: [], triggers: [] } : (JSON.parse(text) as NodeAssignment));
      } catch (err) {
        this.opts.log.error({ node: this.opts.node, err: (err as Error).message }, 'Unreadable assignment; keeping the previous one');
      }
    });
    await this.heartbeat();
    this.informer.start();
    await this.informer.waitForSync();
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Replaces the node's report on every assigned function; sent right away. */
  setReport(report: NodeReport): void {
    if (JSON.stringify(report) === JSON.stringify(this.report)) return;
    this.report = report;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    this.wake?.();
    await this.loop;
    await this.informer.stop();
    await this.heartbeat(true).catch((err: unknown) => this.opts.log.warn({ node: this.opts.node, err: (err as Error).message }, 'Could not release the node Lease'));
  }

  private async run(signal: AbortSignal): Promise<void> {
    const interval = this.opts.heartbeatMs ?? ((this.opts.leaseDurationSeconds ?? 10) * 1000) / 3;
    while (!signal.aborted) {
      await Promise.race([sleep(this.opts.clock, interval, signal), new Promise<void>((resolve) => (this.wake = resolve))]);
      if (signal.aborted) break;
      await this.heartbeat().catch((err: unknown) => this.opts.log.warn({ node: this.opts.node, err: (err as Error).message }, 'Heartbeat failed'));
    }
  }

  /** Server-side applies the node Lease; `release` clears the holder so the node counts as gone at once. */
  private async heartbeat(release = false): Promise<void> {
    const lease = nodeLease({
      namespace: this.opts.namespace,
      runtime: this.opts.runtime,
      node: this.opts.node,
      holder: release ? '' : this.opts.holder,
      leaseDurationSeconds: this.opts.leaseDurationSeconds ?? 10,
      nowMs: this.opts.clock.now(),
      labels: this.opts.labels,
      capacity: this.opts.capacity,
      version: this.opts.version,
      endpoint: this.opts.endpoint,
      report: this.report,
    });
    await this.opts.client.request({
      method: 'PATCH',
      path: resourcePath(LEASE_TYPE, { namespace: this.opts.namespace, name: lease.metadata.name }),
      query: { fieldManager: NODE_FIELD_MANAGER, force: true },
      body: lease,
      contentType: 'application/apply-patch+yaml',
    });
  }
}
