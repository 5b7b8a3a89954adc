/**
 * The node runtime's side of the operator contract (api/node-contract.ts), over the API server. It
 * reuses the controller runtime's Informer and KubeClient (kube/: generic list/watch and
 * request code, nothing operator-specific) rather than a second watch implementation.
 */
import type { Logger } from 'pino';
import { ASSIGNMENT_KEY, NODE_FIELD_MANAGER, nodeLease, nodeObjectName, parseAssignment } from '../../api/index.ts';
import type { NodeAssignment, NodeCapacity, NodeReport, NodeRouteReport } from '../../api/index.ts';
import { CONFIG_MAP_TYPE, Informer, LEASE_TYPE, resourcePath, sleep } from '../../kube/index.ts';
import type { Clock, KubeClient, KubeObject } from '../../kube/index.ts';

type ConfigMap = KubeObject & { data?: Record<string, string> };

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
 * Heartbeats the node Lease with the node's report, and delivers each new NodeAssignment from the
 * node's ConfigMap (empty while there is none; an unreadable one is logged and the previous kept;
 * entries that do not validate are logged and left out). A report change is sent at once rather than at
 * the next beat, so Ready follows loading closely. stop() releases the Lease (holder cleared), so the
 * operator moves the node's functions away without waiting for expiry.
 */
export class NodeAgent {
  private readonly opts: NodeAgentOptions;
  private readonly informer: Informer<ConfigMap>;
  private report: NodeReport = {};
  private routes: NodeRouteReport = {};
  private endpoint: string | undefined;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Something changed since the last heartbeat began; a change during a heartbeat must not wait a whole interval. */
  private pending = false;
  private lastAssignment: string | undefined;

  constructor(opts: NodeAgentOptions) {
    this.opts = opts;
    this.endpoint = opts.endpoint;
    this.informer = new Informer({ client: opts.client, clock: opts.clock, log: opts.log }, {
      type: CONFIG_MAP_TYPE,
      namespace: opts.namespace,
      fieldSelector: `metadata.name=${nodeObjectName(opts.runtime, opts.node)}`,
    });
  }

  /** Registers (first heartbeat), then calls `onAssignment` for the current and every changed assignment. */
  async start(onAssignment: (assignment: NodeAssignment) => void): Promise<void> {
    const deliver = (text: string) => {
      if (text === this.lastAssignment) return;
      this.lastAssignment = text;
      try {
        const { assignment, issues } = parseAssignment(text, this.opts.node);
        for (const issue of issues) this.opts.log.warn({ node: this.opts.node }, issue);
        onAssignment(assignment);
      } catch (err) {
        this.opts.log.error({ node: this.opts.node, err: (err as Error).message }, 'Unreadable assignment; keeping the previous one');
      }
    };
    this.informer.onChange((change) => deliver(change.type === 'Deleted' ? '' : (change.object.data?.[ASSIGNMENT_KEY] ?? '')));
    await this.heartbeat();
    this.informer.start();
    await this.informer.waitForSync();
    // No ConfigMap yet: the node runs nothing until the operator says otherwise.
    if (this.lastAssignment === undefined) deliver('');
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Replaces the node's report on every assigned function; sent right away. */
  setReport(report: NodeReport): void {
    if (JSON.stringify(report) === JSON.stringify(this.report)) return;
    this.report = report;
    this.pending = true;
    this.wake?.();
  }

  /** Replaces the routes this node refuses (auth it cannot enforce); sent right away. */
  setRoutes(routes: NodeRouteReport): void {
    if (JSON.stringify(routes) === JSON.stringify(this.routes)) return;
    this.routes = routes;
    this.pending = true;
    this.wake?.();
  }

  /** The URL the node serves on, once known (it listens after its first assignment is applied). */
  setEndpoint(endpoint: string): void {
    if (endpoint === this.endpoint) return;
    this.endpoint = endpoint;
    this.pending = true;
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
      if (!this.pending) await Promise.race([sleep(this.opts.clock, interval, signal), new Promise<void>((resolve) => (this.wake = resolve))]);
      if (signal.aborted) break;
      this.pending = false; // this heartbeat carries everything set before this line
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
      endpoint: this.endpoint,
      report: this.report,
      routes: this.routes,
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
