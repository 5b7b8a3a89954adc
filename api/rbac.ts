/**
 * Least privilege, declared once: every Kubernetes API call each Flotilla identity makes, with the
 * code path that makes it. The operator's ClusterRole (constructs/system.ts), each pool's node Role
 * (operator/wasm-runtime/objects.ts), the nodes' trust policy Role (constructs/edge-cluster.ts) and
 * the `flotilla status` ClusterRole are rendered from these tables and from nothing else;
 * test/integration/api/rbac.test.ts proves on the real API server that each call listed passes for
 * its identity and that calls not listed are refused. A new call is a new row here, or a 403.
 */
import { GROUP } from './group.ts';
import { NODE_PEER_CLUSTER_ROLE } from './node-contract.ts';

/** The RBAC verbs Flotilla's code paths use. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'bind';

/** One group of calls: these verbs on these resources (optionally only the named objects), and which code makes them. */
export interface ApiCalls {
  readonly group: string;
  readonly resources: readonly string[];
  readonly verbs: readonly Verb[];
  readonly resourceNames?: readonly string[];
  /** The code path that makes the calls (why the permission exists). */
  readonly by: string;
}

/** An RBAC PolicyRule (rbac.authorization.k8s.io/v1) as plain data. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const KIND_PLURALS = ['wasmfunctions', 'wasmruntimes', 'functiontriggers', 'functionroutes'] as const;
// Server-side apply of an object that does not exist yet creates it: the API server checks both verbs.
const APPLY: readonly Verb[] = ['create', 'patch'];

/** Calls of a pool's node runtimes in the pool's namespace; `pullSecrets`: the pool's spec.registryCredentials names. */
export function nodeCalls(pullSecrets: readonly string[]): readonly ApiCalls[] {
  return [
    // The Lease a node may write is its own (ValidatingAdmissionPolicy of api/node-lease-policy.ts); RBAC cannot say "own" for a shared ServiceAccount.
    { group: 'coordination.k8s.io', resources: ['leases'], verbs: APPLY, by: 'node-runtime/cluster/agent.ts: heartbeat of its node Lease (server-side apply)' },
    { group: 'coordination.k8s.io', resources: ['leases'], verbs: ['get', 'create', 'update'], by: 'node-runtime/triggers/cron/lease-claims.ts: cron tick claims' },
    { group: '', resources: ['configmaps'], verbs: ['list', 'watch'], by: 'node-runtime/cluster/agent.ts: its assignment ConfigMap (Informer by field selector)' },
    ...(pullSecrets.length > 0 ? [{ group: '', resources: ['secrets'], verbs: ['get'] as Verb[], resourceNames: [...pullSecrets], by: 'cli/commands/node.ts: the pool\'s registry credentials, read when it pulls' }] : []),
  ];
}

/** Calls of a pool's node runtimes in the system namespace: the trust policy named by their WasmRuntimes, and nothing else there. */
export function nodeTrustPolicyCalls(policy: string): readonly ApiCalls[] {
  return [{ group: '', resources: ['configmaps'], verbs: ['list', 'watch'], resourceNames: [policy], by: 'node-runtime/cluster/cluster-source.ts: the trust policy ConfigMap (Informer by field selector)' }];
}

/** Calls of the operator, cluster-wide (it watches every namespace). */
export const OPERATOR_CALLS: readonly ApiCalls[] = [
  { group: GROUP, resources: KIND_PLURALS, verbs: ['list', 'watch'], by: 'operator/controllers.ts: informers on the four kinds' },
  { group: GROUP, resources: KIND_PLURALS.map((p) => `${p}/status`), verbs: ['patch'], by: 'kube/apply.ts applyStatus: conditions and status' },
  { group: 'coordination.k8s.io', resources: ['leases'], verbs: ['list', 'watch'], by: 'operator/controllers.ts: node Lease informer' },
  { group: 'coordination.k8s.io', resources: ['leases'], verbs: ['get', 'create', 'update'], by: 'kube/leader-election.ts: the leader Lease' },
  { group: 'coordination.k8s.io', resources: ['leases'], verbs: ['delete'], by: 'operator/wasm-runtime/reconciler.ts: the Lease of a node gone for good' },
  { group: '', resources: ['configmaps'], verbs: ['list', 'watch'], by: 'operator/controllers.ts: trust policy and assignment informers' },
  { group: '', resources: ['configmaps'], verbs: APPLY, by: 'operator/nodes/reconciler.ts: node assignments (server-side apply)' },
  { group: 'events.k8s.io', resources: ['events'], verbs: ['create'], by: 'kube/events.ts: Events' },
  { group: '', resources: ['nodes'], verbs: ['list', 'watch'], by: 'operator/nodes/node-labels.ts: Node labels for placement' },
  // get only: the names come from WasmRuntime spec.registryCredentials; nothing lists or watches Secrets.
  { group: '', resources: ['secrets'], verbs: ['get'], by: 'operator/wasm-function/artifact-verifier.ts: a pool\'s registry credentials when it verifies' },
  { group: 'apps', resources: ['daemonsets'], verbs: APPLY, by: 'operator/wasm-runtime/reconciler.ts: each pool\'s node runtime' },
  { group: '', resources: ['services', 'serviceaccounts'], verbs: APPLY, by: 'operator/wasm-runtime/reconciler.ts: each pool\'s Service and ServiceAccount' },
  { group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings'], verbs: APPLY, by: 'operator/wasm-runtime/reconciler.ts: each pool\'s node Role (nodeCalls) and its binding' },
  // Node identity: each pool's ServiceAccount bound to the TokenReview ClusterRole, and to no other (bind on that one name).
  { group: 'rbac.authorization.k8s.io', resources: ['clusterroles'], verbs: ['bind'], resourceNames: [NODE_PEER_CLUSTER_ROLE], by: 'operator/wasm-runtime/reconciler.ts: each pool\'s peer TokenReview binding' },
  { group: 'rbac.authorization.k8s.io', resources: ['clusterrolebindings'], verbs: ['get', ...APPLY], by: 'operator/wasm-runtime/reconciler.ts: each pool\'s peer TokenReview binding (server-side apply; never lists or deletes another)' },
  // The API server lets a Role be written only by who holds what it grants (no escalate verb for us).
  ...nodeCalls([]).map((c) => ({ ...c, by: `granted to each pool's node Role: ${c.by}` })),
];

/** Calls of a pool's node runtimes cluster-wide (the ClusterRole the operator binds each pool to): checking a peer's token. */
export const NODE_PEER_CALLS: readonly ApiCalls[] = [
  { group: 'authentication.k8s.io', resources: ['tokenreviews'], verbs: ['create'], by: 'node-runtime/peer/service-account.ts: a forwarding peer\'s flotilla-peer token (TokenReview)' },
];

/** Calls of `flotilla status` and `flotilla version`: they list WasmFunctions and WasmRuntimes, and that is all. */
export const STATUS_CALLS: readonly ApiCalls[] = [
  { group: GROUP, resources: ['wasmfunctions'], verbs: ['list'], by: 'devenv/fleet/status.ts: one row per WasmFunction' },
  { group: GROUP, resources: ['wasmruntimes'], verbs: ['list'], by: 'cli/commands/version.ts: each pool\'s version' },
];

/** The PolicyRules granting exactly `calls`, in table order (deterministic synth). */
export function rulesFor(calls: readonly ApiCalls[]): PolicyRule[] {
  return calls.map((c) => ({ apiGroups: [c.group], resources: [...c.resources], verbs: [...c.verbs], ...(c.resourceNames ? { resourceNames: [...c.resourceNames] } : {}) }));
}

/** Names of the rendered identities, for the constructs and the operator. */
export const RBAC_NAMES = { operator: 'flotilla-operator', status: 'flotilla-status', nodeTrustPolicy: 'flotilla-node-trust-policy' } as const;
