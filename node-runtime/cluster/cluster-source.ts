/**
 * Cluster mode's desired state: the node registers with the operator through its Lease (NodeAgent),
 * runs what its assignment ConfigMap says, verifies modules against the cluster's trust policy
 * ConfigMap (the one the assignment names, watched, so an edit such as a revoked key applies to the
 * next load) and reports each function's load state back through the Lease.
 */
import type { Logger } from 'pino';
import { TRUST_POLICY_KEY } from '../../api/index.ts';
import type { NodeAssignment, NodeReport, NodeRouteReport } from '../../api/index.ts';
import { compilePolicy } from '../../artifacts/index.ts';
import type { CompiledPolicy, TrustPolicy } from '../../artifacts/index.ts';
import { CONFIG_MAP_TYPE, Informer, sleep } from '../../kube/index.ts';
import type { Clock, KubeClient, KubeObject } from '../../kube/index.ts';
import type { DesiredState, DesiredStateSource } from '../resolve/desired-state.ts';
import { NodeAgent } from './agent.ts';
import type { NodeAgentOptions } from './agent.ts';
import { desiredStateFromAssignment } from './from-assignment.ts';

type ConfigMap = KubeObject & { data?: Record<string, string> };

/**
 * How long an assignment waits for its trust policy to be read. Past it the node goes on trusting
 * nothing (loads fail with the reason, are retried, and succeed once the policy is read), so a
 * policy it cannot read (RBAC, wrong --trust-namespace) shows as failing functions, not a node stuck.
 */
const POLICY_READ_TIMEOUT_MS = 10_000;

/** Trusts nothing: what a node verifies against before it has read a policy, or when the policy is missing or unreadable. */
const TRUST_NOTHING: CompiledPolicy = compilePolicy({ keys: [], identities: [] });

export type ClusterSourceOptions = Omit<NodeAgentOptions, 'client' | 'clock' | 'log'> & {
  /** Where the trust policy ConfigMaps are: the operator's namespace, where it verifies modules too. @default namespace */
  readonly trustNamespace?: string;
};

export class ClusterSource implements DesiredStateSource {
  private readonly deps: { client: KubeClient; clock: Clock; log: Logger };
  private readonly opts: ClusterSourceOptions;
  private readonly agent: NodeAgent;
  private policyName: string | undefined;
  private policyInformer: Informer<ConfigMap> | undefined;
  private policy: CompiledPolicy = TRUST_NOTHING;
  /** Assignments are applied one after the other: a policy change is read before the functions that need it load. */
  private applying = Promise.resolve();

  constructor(deps: { client: KubeClient; clock: Clock; log: Logger }, opts: ClusterSourceOptions) {
    this.deps = deps;
    this.opts = opts;
    this.agent = new NodeAgent({ ...deps, ...opts });
  }

  /** The trust policy the node verifies modules against now. */
  trust(): CompiledPolicy {
    return this.policy;
  }

  /** Sends the routes this node refuses to the operator (skipped when unchanged). */
  reportRoutes(routes: NodeRouteReport): void {
    this.agent.setRoutes(routes);
  }

  /** Sends the node's report to the operator (skipped when unchanged). */
  report(report: NodeReport): void {
    this.agent.setReport(report);
  }

  /** Publishes where the node serves, for the operator and tools that read the node Lease. */
  setEndpoint(url: string): void {
    this.agent.setEndpoint(url);
  }

  async start(apply: (state: DesiredState) => void): Promise<void> {
    let first: Promise<void> | undefined;
    await this.agent.start((assignment) => {
      this.applying = this.applying.then(() => this.applyAssignment(assignment, apply));
      first ??= this.applying;
    });
    await first;
  }

  async close(): Promise<void> {
    await this.agent.stop();
    await this.applying;
    await this.policyInformer?.stop();
  }

  private async applyAssignment(assignment: NodeAssignment, apply: (state: DesiredState) => void): Promise<void> {
    // Dormant functions' too: their modules are pre-pulled (verified) now, and loaded on their first request.
    const names = [...new Set([...assignment.functions, ...assignment.dormant].map((f) => f.trustPolicy))];
    if (names.length > 1) this.deps.log.warn({ node: this.opts.node, policies: names }, `Expected one trust policy per pool, got ${names.length}; verifying against ${names[0]}`);
    if (names[0] !== undefined && names[0] !== this.policyName) await this.watchPolicy(names[0]);
    const { state, issues } = desiredStateFromAssignment(assignment);
    for (const issue of issues) this.deps.log.warn({ node: this.opts.node }, issue);
    apply(state);
    this.deps.log.info({ node: this.opts.node, functions: state.functions.size, routes: state.routes.length, triggers: state.triggers.length }, 'Applied assignment');
  }

  /** Watches the trust policy ConfigMap `name`; resolves once it has been read (or found missing). */
  private async watchPolicy(name: string): Promise<void> {
    await this.policyInformer?.stop();
    this.policyName = name;
    this.policy = TRUST_NOTHING;
    const namespace = this.opts.trustNamespace ?? this.opts.namespace;
    const where = `${namespace}/${name}`;
    const informer = new Informer<ConfigMap>(this.deps, { type: CONFIG_MAP_TYPE, namespace, fieldSelector: `metadata.name=${name}` });
    informer.onChange((change) => {
      this.policy = change.type === 'Deleted' ? TRUST_NOTHING : this.readPolicy(where, change.object);
      if (change.type === 'Deleted') this.deps.log.error({ policy: where }, 'Trust policy ConfigMap deleted; trusting nothing until it is back');
    });
    this.policyInformer = informer;
    informer.start();
    const gaveUp = new AbortController();
    await Promise.race([informer.waitForSync(), sleep(this.deps.clock, POLICY_READ_TIMEOUT_MS, gaveUp.signal)]);
    gaveUp.abort();
    if (!informer.synced) {
      this.deps.log.error({ policy: where }, `Could not read trust policy ConfigMap ${where} within ${POLICY_READ_TIMEOUT_MS / 1000}s; trusting nothing until it can: check the node's RBAC and --trust-namespace`);
    } else if (informer.store.list().length === 0) this.deps.log.error({ policy: where }, `Trust policy ConfigMap ${where} not found; trusting nothing: create it (policies/) or fix the WasmRuntime's spec.trustPolicyRef`);
  }

  private readPolicy(where: string, cm: ConfigMap): CompiledPolicy {
    const text = cm.data?.[TRUST_POLICY_KEY];
    try {
      if (text === undefined) throw new Error(`no data key ${TRUST_POLICY_KEY}`);
      const compiled = compilePolicy(JSON.parse(text) as TrustPolicy);
      this.deps.log.info({ policy: where, keys: compiled.keys.length, identities: compiled.identities.length }, 'Read trust policy');
      return compiled;
    } catch (err) {
      this.deps.log.error({ policy: where }, `Trust policy ${where} unreadable, trusting nothing: ${(err as Error).message}; expected JSON { keys, identities } under ${TRUST_POLICY_KEY}`);
      return TRUST_NOTHING;
    }
  }
}
