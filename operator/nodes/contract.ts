/**
 * The contract between the operator and node runtimes, all through plain Kubernetes objects so a
 * runtime outside a kubelet (a test process, a bare edge device) takes part the same way:
 *
 * - Registration and heartbeat: each node runtime owns a coordination.k8s.io/v1 Lease named
 *   `flotilla-node-<node>` in its WasmRuntime's namespace, labelled with the runtime name, renewed
 *   every few seconds. Its annotations carry the node's labels (for placement), capacity, version,
 *   serving endpoint and its report on every assigned function.
 * - Assignments: the operator writes one ConfigMap per node, `flotilla-node-<node>` in the same
 *   namespace, owned by the node's Lease; key `assignment.json` holds a NodeAssignment. The runtime
 *   watches that one object (fieldSelector metadata.name).
 *
 * Everything here is types and constants: node-runtime/ reads the same shapes (candidate to move into api/).
 */

/** Label on node Leases and assignment ConfigMaps: the WasmRuntime (same namespace) the node belongs to. */
export const RUNTIME_LABEL = 'flotilla.dev/runtime';
/** Label on node Leases and assignment ConfigMaps: the node name. */
export const NODE_LABEL = 'flotilla.dev/node';

export const ANNOTATIONS = {
  /** JSON object: the node's labels, matched against WasmFunction placement.nodeSelector. */
  nodeLabels: 'flotilla.dev/node-labels',
  /** JSON NodeCapacity. */
  capacity: 'flotilla.dev/capacity',
  /** Node runtime version (semver). */
  version: 'flotilla.dev/runtime-version',
  /** Base URL the node's HTTP trigger serves on. */
  endpoint: 'flotilla.dev/endpoint',
  /** JSON NodeReport: how each assigned function is doing on this node. */
  report: 'flotilla.dev/function-status',
} as const;

/** Key of the assignment document inside the node's ConfigMap. */
export const ASSIGNMENT_KEY = 'assignment.json';

/** Name of a node's Lease and of its assignment ConfigMap. */
export function nodeObjectName(node: string): string {
  return `flotilla-node-${node}`;
}

/** How much a node takes. */
export interface NodeCapacity {
  /** Functions the node accepts. */
  readonly functions: number;
}

/** One function as a node reports it. `digest` says which version the state is about. */
export interface FunctionReport {
  readonly digest: string;
  readonly state: 'Loading' | 'Loaded' | 'Failed';
  /** CamelCase reason when Failed (from api/ REASON_CODES, e.g. CompileFailed, NoSignature). */
  readonly reason?: string;
  readonly message?: string;
  /** Consecutive failures on this node; the operator marks the function Degraded past a threshold. */
  readonly failures?: number;
  /** Invocations in flight on this node, averaged over the last heartbeat interval (drives autoscaling). */
  readonly inFlight?: number;
}

/** Function key (`namespace/name`) → report. */
export type NodeReport = Readonly<Record<string, FunctionReport>>;

/** A function as the node must run it. */
export interface AssignedFunction {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  /** The module reference, pinned by digest. */
  readonly ref: string;
  readonly digest: string;
  readonly abi: string;
  readonly limits: unknown;
  readonly capabilities: unknown;
  readonly state?: unknown;
  /** Name of the trust policy ConfigMap the node verifies the module against (in the runtime's namespace). */
  readonly trustPolicy: string;
}

/** An HTTP route narrowed to the backends this node runs (weights renormalised to 100). */
export interface AssignedRoute {
  readonly namespace: string;
  readonly name: string;
  readonly host: string;
  readonly pathPrefix: string;
  readonly methods: readonly string[];
  readonly backends: readonly { readonly function: string; readonly weight: number }[];
  readonly spec: unknown;
}

/** A trigger whose function runs on this node. */
export interface AssignedTrigger {
  readonly namespace: string;
  readonly name: string;
  readonly function: string;
  readonly spec: unknown;
}

/** Everything one node runs: the content of its assignment ConfigMap. Sorted, so equal plans serialise equally. */
export interface NodeAssignment {
  readonly node: string;
  readonly functions: readonly AssignedFunction[];
  readonly routes: readonly AssignedRoute[];
  readonly triggers: readonly AssignedTrigger[];
}
