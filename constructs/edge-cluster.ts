/**
 * One edge cluster: its namespaces, CRDs, system components (operator, node runtime), WasmRuntime
 * pools, trust policy, admission and network policies. Function apps are added into it; at synth the
 * cross-object rules of the whole cluster run once and report every problem with its construct path.
 */
import { ApiObject, Chart } from 'cdk8s';
import { brokerEndpoint, nodeRuntimeName, nodeTrustPolicyCalls, RBAC_NAMES, rulesFor } from '../api/index.ts';
import type { FunctionTriggerSpec } from '../api/index.ts';
import type { Construct } from 'constructs';
import { runtimeNetworkPolicies } from '../policies/network-policies.ts';
import type { EgressTarget } from '../policies/network-policies.ts';
import { verifyModulesPolicy } from '../policies/kyverno.ts';
import { trustPolicyConfigMap } from '../policies/trust-policy.ts';
import type { NamedTrustPolicy } from '../policies/trust-policy.ts';
import { FlotillaCrds } from './crds.ts';
import type { RenderTarget } from './render.ts';
import { checkCluster } from './fleet-rules.ts';
import { FunctionRoute } from './function-route.ts';
import { FunctionTrigger } from './function-trigger.ts';
import { FlotillaNats, NATS_LABELS } from './nats.ts';
import { NATS_CLIENT_PORT } from './nats-server.ts';
import { FlotillaSystem, HTTP_PORT, NODE_ADMIN_PORT, NODE_RUNTIME_LABELS, OPERATOR_LABELS } from './system.ts';
import { ExternalFunction, WasmFunction } from './wasm-function.ts';
import { WasmRuntime } from './wasm-runtime.ts';
import type { WasmRuntimeProps } from './wasm-runtime.ts';

export interface EdgeClusterProps {
  /** Cluster name: the folder gitops/clusters/<name>/. */
  readonly name: string;
  /** Region label put on every object (flotilla.dev/region). */
  readonly region: string;
  /** Namespace of the function objects. */
  readonly functionsNamespace: string;
  /** Namespace of the operator and node runtimes.
   * @default "flotilla-system" */
  readonly systemNamespace?: string;
  /** Operator image, node runtime images by version (every WasmRuntime's version needs one), and nats-server's when NATS is installed, all pinned by digest. */
  readonly images: { readonly operator: string; readonly nodeRuntime: Readonly<Record<string, string>>; readonly nats?: string };
  /**
   * The cluster's NATS (JetStream), which node runtimes connect to (`--nats-url`) for
   * `state.store: nats`, chaining and cron claims across nodes: `"install"` renders one in the
   * system namespace (constructs/nats.ts, image `images.nats`), `{ url }` uses one that exists.
   * Every WasmRuntime without its own `nats` gets it.
   * @default none: a function with `state.store: nats` is refused at synth */
  readonly nats?: 'install' | { readonly url: string };
  readonly trustPolicy: NamedTrustPolicy;
  /** Runtime pools by name. */
  readonly runtimes: Readonly<Record<string, Omit<WasmRuntimeProps, 'name' | 'trustPolicy'>>>;
  readonly network: { readonly registry: EgressTarget; readonly apiServer: EgressTarget; readonly functionEgress: readonly EgressTarget[]; readonly eventBrokers?: readonly EgressTarget[] };
  /** Render the Kyverno verifyImages policy (only where Kyverno runs).
   * @default false */
  readonly kyverno?: boolean;
  /** Operator replicas.
   * @default 2 */
  readonly operatorReplicas?: number;
}

/** The chart of one edge cluster. */
export class EdgeCluster extends Chart implements RenderTarget {
  readonly outputDir: string;
  readonly clusterName: string;
  readonly systemNamespace: string;
  readonly functionsNamespace: string;
  private readonly network: EdgeClusterProps['network'];
  private readonly nodeRuntimeVersions: readonly string[];

  constructor(scope: Construct, id: string, props: EdgeClusterProps) {
    super(scope, id, { namespace: props.functionsNamespace, labels: { 'flotilla.dev/cluster': props.name, 'flotilla.dev/region': props.region } });
    this.clusterName = props.name;
    this.outputDir = `clusters/${props.name}`;
    this.systemNamespace = props.systemNamespace ?? 'flotilla-system';
    this.functionsNamespace = props.functionsNamespace;
    if (this.systemNamespace === this.functionsNamespace) {
      throw new Error(`EdgeCluster ${props.name}: systemNamespace and functionsNamespace must differ, both are ${JSON.stringify(this.functionsNamespace)}`);
    }
    for (const ns of [this.systemNamespace, this.functionsNamespace]) {
      new ApiObject(this, `Namespace-${ns}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, namespace: undefined } });
    }
    new FlotillaCrds(this, 'Crds');
    new FlotillaSystem(this, 'System', { namespace: this.systemNamespace, operatorImage: props.images.operator, nodeRuntimeImages: props.images.nodeRuntime, operatorReplicas: props.operatorReplicas });
    new ApiObject(this, 'TrustPolicy', trustPolicyConfigMap(props.trustPolicy, this.systemNamespace) as never);
    const natsUrl = this.clusterNats(props);
    if (props.kyverno === true) new ApiObject(this, 'VerifyModules', verifyModulesPolicy(props.trustPolicy) as never);
    for (const [i, np] of runtimeNetworkPolicies({
      namespace: this.systemNamespace,
      runtimeNamespace: this.functionsNamespace,
      runtimeLabels: NODE_RUNTIME_LABELS,
      operatorLabels: OPERATOR_LABELS,
      httpPort: HTTP_PORT,
      adminPort: NODE_ADMIN_PORT,
      ...props.network,
      ...(props.nats === 'install' ? { nats: { labels: { ...NATS_LABELS }, port: NATS_CLIENT_PORT } } : {}),
    }).entries()) {
      new ApiObject(this, `NetworkPolicy${i}`, np as never);
    }
    for (const [name, rt] of Object.entries(props.runtimes)) {
      new WasmRuntime(this, `Runtime-${name}`, { ...(natsUrl !== undefined ? { nats: { url: natsUrl } } : {}), ...rt, name, trustPolicy: props.trustPolicy.name });
    }
    this.grantTrustPolicyToNodes(props.trustPolicy.name, Object.keys(props.runtimes));
    this.network = props.network;
    this.nodeRuntimeVersions = Object.keys(props.images.nodeRuntime);
    this.node.addValidation({ validate: () => this.crossObjectProblems() });
  }

  /** The URL of the cluster's NATS: installed here, or the one given. */
  private clusterNats(props: EdgeClusterProps): string | undefined {
    if (props.nats === undefined) return undefined;
    if (props.nats !== 'install') return props.nats.url;
    if (props.images.nats === undefined) throw new Error(`EdgeCluster ${props.name} nats: "install" needs images.nats, the nats-server image pinned by digest (clusters/images.json "nats"), got none`);
    return new FlotillaNats(this, 'Nats', { namespace: this.systemNamespace, image: props.images.nats }).url;
  }

  /**
   * Node runtimes verify modules against the trust policy where the operator does (the system
   * namespace); the ServiceAccount the operator creates for each pool may read that one ConfigMap.
   */
  private grantTrustPolicyToNodes(policy: string, runtimes: readonly string[]): void {
    if (runtimes.length === 0) return;
    const metadata = { name: RBAC_NAMES.nodeTrustPolicy, namespace: this.systemNamespace, labels: NODE_RUNTIME_LABELS };
    new ApiObject(this, 'NodeTrustPolicyRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: rulesFor(nodeTrustPolicyCalls(policy)),
    });
    new ApiObject(this, 'NodeTrustPolicyBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
      subjects: [...runtimes].sort().map((r) => ({ kind: 'ServiceAccount', name: nodeRuntimeName(r), namespace: this.functionsNamespace })),
    });
  }

  private crossObjectProblems(): string[] {
    const all = this.node.findAll();
    const ns = this.functionsNamespace;
    const declared = <T extends { name: string; spec: S; node: { path: string } }, S>(xs: T[]) => xs.map((x) => ({ path: x.node.path, namespace: ns, name: x.name, spec: x.spec }));
    const triggers = declared<FunctionTrigger, FunctionTrigger['spec']>(all.filter((c) => c instanceof FunctionTrigger));
    const runtimes = all.filter((c) => c instanceof WasmRuntime);
    return [
      // Shared state needs its pool's nodes on a NATS: without one the function would never load.
      ...all
        .filter((c) => c instanceof WasmFunction)
        .filter((f) => f.spec.state?.store === 'nats' && runtimes.find((r) => r.name === f.spec.runtimeClass)?.spec.nats === undefined)
        .map((f) => `${f.node.path}: WasmFunction ${f.name} keeps its state in NATS (state.store: nats), but its WasmRuntime ${f.spec.runtimeClass} has no NATS: set the cluster's nats ("install", or { url } of an existing server), or the runtime's nats.url`),
      ...checkCluster({
        functions: declared(all.filter((c) => c instanceof WasmFunction)),
        externalFunctions: all.filter((c) => c instanceof ExternalFunction).map((c) => ({ namespace: ns, name: c.name })),
        runtimes: declared(all.filter((c) => c instanceof WasmRuntime)),
        triggers,
        routes: declared(all.filter((c) => c instanceof FunctionRoute)),
      }).map((p) => `${p.path}: ${p.message}`),
      ...unreachableBrokers(triggers, this.network.eventBrokers ?? []),
      ...all
        .filter((c) => c instanceof WasmRuntime)
        .filter((r) => !this.nodeRuntimeVersions.includes(r.spec.version))
        .map((r) => `${r.node.path}: WasmRuntime ${r.name} runs version ${r.spec.version}, but no node runtime image is pinned for it (pinned: ${this.nodeRuntimeVersions.join(', ')}): add "node-runtime@${r.spec.version}": "<repository>@sha256:<hex>" to clusters/images.json, or use a pinned version`),
    ];
  }
}

/**
 * Triggers whose broker port no declared event broker opens: the node runtime's NetworkPolicy
 * (default deny) would block them at run time, so say it at synth. The host is a name and the
 * allowance a CIDR, so only the port can be checked here.
 */
function unreachableBrokers(triggers: readonly { path: string; name: string; spec: FunctionTriggerSpec }[], brokers: readonly EgressTarget[]): string[] {
  const problems: string[] = [];
  for (const t of triggers) {
    const broker = brokerEndpoint(t.spec);
    const port = broker?.port;
    if (broker === undefined || port === undefined || brokers.some((b) => b.ports.includes(port))) continue;
    problems.push(`${t.path}: FunctionTrigger ${t.name} reads ${broker.url}, but network.eventBrokers opens no port ${port}: the node runtimes' NetworkPolicy would block it; add { cidr: '<broker address>/32', ports: [${port}] } to the cluster's network.eventBrokers`);
  }
  return problems;
}
