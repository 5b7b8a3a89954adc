/**
 * The contract between the operator and node runtimes, all through plain Kubernetes objects so a
 * runtime outside a kubelet (a test process, a bare edge device) takes part the same way:
 *
 * - Registration and heartbeat: each node runtime owns a coordination.k8s.io/v1 Lease named
 *   `flotilla-node-<runtime>.<node>` in its WasmRuntime's namespace, labelled with the runtime name, renewed
 *   every few seconds. Its annotations carry the node's labels (for placement), capacity, version,
 *   serving endpoint and its report on every assigned function.
 * - Assignments: the operator writes one ConfigMap per node, `flotilla-node-<runtime>.<node>` in the same
 *   namespace, owned by the node's Lease; key `assignment.json` holds a NodeAssignment. The runtime
 *   watches that one object (fieldSelector metadata.name).
 * - Scale from zero: a scale-to-zero function the node does not run is handed to it as *dormant*
 *   (NodeAssignment.dormant, its routes kept). A request for it is held, and the node reports the
 *   function `Wanted` with the number of requests waiting; the operator places it (on a wanting
 *   node first), and the node serves the held requests once it has loaded it. A node running such a
 *   function reports it `idle` after `scaleToZeroAfterSeconds` without an invocation, and the
 *   operator takes it off the nodes where it is idle: back to zero.
 * - Forwarding: a function of the pool that runs on other nodes only is handed to every node as
 *   *remote* (NodeAssignment.remote: the serving endpoints of the ready nodes running it), its
 *   routes kept, so a load balancer in front of all nodes of a pool may send any request to any of
 *   them: a node forwards a request for a remote backend to one of the endpoints, marked
 *   FORWARDED_BY_HEADER, and a request so marked is never forwarded again (no ping-pong on a stale
 *   assignment: the node answers 503 NotPlacedHere instead).
 *
 * Names and the Lease encoding both sides share (node-runtime/cluster writes a node Lease with
 * nodeLease and reads its NodeAssignment; operator/nodes reads the Lease with parseNodeLease and
 * writes the assignment), so the two can never drift apart; the shapes are TypeBox schemas, the
 * assignment in node-assignment.ts and the Lease annotations in node-report.ts. Pure.
 */
import { microTime } from './micro-time.ts';
import { validateNodeCapacity, validateNodeLabels, validateNodeReport, validateNodeRouteReport } from './node-report.ts';
import type { NodeCapacity, NodeReport, NodeRouteReport } from './node-report.ts';
import type { ValidationResult } from './validate.ts';

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
  /** JSON NodeRouteReport: the routes this node refuses (auth it cannot enforce), and why. */
  routes: 'flotilla.dev/route-status',
} as const;

/**
 * WasmFunction annotation opting into instance reuse ("true"): invocations may share an instance
 * and its memory instead of each getting a pristine one. Off by default (isolation first).
 */
export const REUSE_ANNOTATION = 'flotilla.dev/instance-reuse';

/** Request header a forwarding node sets to its own name (and response header naming it); a request carrying it is never forwarded again. */
export const FORWARDED_BY_HEADER = 'x-flotilla-forwarded-by';
/** Request header a forwarding node sets to the backend (`namespace/name`) it chose, so the receiving node runs that one and the route's weights hold. */
export const BACKEND_HEADER = 'x-flotilla-backend';

/**
 * The ClusterRole (rendered with the operator, constructs/system.ts) that lets a pool's nodes
 * create TokenReviews, to check the peer tokens forwarded requests carry; the operator binds each
 * pool's ServiceAccount to it (TokenReview is cluster scoped: a Role cannot grant it).
 */
export const NODE_PEER_CLUSTER_ROLE = 'flotilla-node-peer';

/** The audience of the tokens nodes identify themselves to their peers with (never the API server's). */
export const PEER_AUDIENCE = 'flotilla-peer';

/** Where a node runtime pod finds its projected peer token (audience PEER_AUDIENCE, refreshed by the kubelet). */
export const PEER_TOKEN_PATH = '/var/run/secrets/flotilla.dev/peer/token';
/** Response header: the node that ran the function (set on every answer a node executes). */
export const SERVED_BY_HEADER = 'x-flotilla-served-by';

/** Key of the trust policy (`{ keys, identities }`, artifacts' TrustPolicy) inside a trust policy ConfigMap. */
export const TRUST_POLICY_KEY = 'policy.json';

/** The field manager of node runtimes' writes (the operator's is flotilla-operator). */
export const NODE_FIELD_MANAGER = 'flotilla-node';

/** Labels of node runtime pods (the operator's DaemonSet adds RUNTIME_LABEL): what network policies select. */
export const NODE_RUNTIME_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'flotilla-node' };

/** Name of a pool's node runtime DaemonSet, ServiceAccount, Role and RoleBinding (what constructs grant trust policy access to). */
export function nodeRuntimeName(runtime: string): string {
  return `flotilla-node-${runtime}`;
}

/**
 * Name of a node runtime's Lease and of its assignment ConfigMap: `flotilla-node-<runtime>.<node>`.
 * The pool is part of it because a machine in two pools runs two node runtimes (one pod of each
 * pool's DaemonSet) under the same node name in the same namespace; the dot cannot occur in a
 * WasmRuntime name (a DNS label), so no two (runtime, node) pairs share a name.
 */
export function nodeObjectName(runtime: string, node: string): string {
  return `flotilla-node-${runtime}.${node}`;
}

/** A node Lease as both sides read and write it: the coordination.k8s.io/v1 fields used plus labels and annotations. */
export interface NodeLease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string | null; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** A node runtime as the operator sees it through its Lease. */
export interface RegisteredNode {
  readonly name: string;
  readonly namespace: string;
  readonly runtime: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly capacity: NodeCapacity;
  readonly version?: string;
  readonly endpoint?: string;
  readonly report: NodeReport;
  /** Routes this node refuses with 503, and why (parseNodeLease always sets it; absent: none). */
  readonly routes?: NodeRouteReport;
  /** When the Lease runs out unless renewed (ms since epoch); 0 when never renewed. */
  readonly expiresAtMs: number;
  /** Lease not expired at the time of parsing. */
  readonly ready: boolean;
  /** What was wrong with the annotations, if anything (the node is then not ready). */
  readonly problem?: string;
}

/** Capacity of a node that does not say: enough for a small edge box. */
export const DEFAULT_CAPACITY: NodeCapacity = { functions: 100 };

/** An annotation's JSON, validated: `fallback` when absent, or when it does not validate (with the reason in `problems`). */
function readAnnotation<T>(annotations: Readonly<Record<string, string>>, key: string, validate: (v: unknown) => ValidationResult<T>, fallback: T, problems: string[]): T {
  const text = annotations[key];
  if (text === undefined) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`annotation ${key} is not JSON`);
    return fallback;
  }
  const result = validate(parsed);
  if (result.ok) return result.value;
  problems.push(`annotation ${key}: ${result.errors.map((e) => e.message).join('; ')}`);
  return fallback;
}

/**
 * Reads a node Lease. A node is ready while its Lease is unexpired by its own renewTime: this
 * assumes node and operator clocks agree within a fraction of the lease duration (NTP at the edge).
 */
export function parseNodeLease(lease: NodeLease, nowMs: number): RegisteredNode {
  const labels = lease.metadata.labels ?? {};
  const annotations = lease.metadata.annotations ?? {};
  const problems: string[] = [];
  const nodeLabels = readAnnotation(annotations, ANNOTATIONS.nodeLabels, validateNodeLabels, {}, problems);
  const capacity = readAnnotation(annotations, ANNOTATIONS.capacity, validateNodeCapacity, DEFAULT_CAPACITY, problems);
  const report = readAnnotation(annotations, ANNOTATIONS.report, validateNodeReport, {}, problems);
  const routes = readAnnotation(annotations, ANNOTATIONS.routes, validateNodeRouteReport, {}, problems);
  const renew = Date.parse(lease.spec?.renewTime ?? '');
  const expiresAtMs = Number.isNaN(renew) || !lease.spec?.holderIdentity ? 0 : renew + (lease.spec.leaseDurationSeconds ?? 0) * 1000;
  return {
    name: labels[NODE_LABEL] ?? lease.metadata.name,
    namespace: lease.metadata.namespace,
    runtime: labels[RUNTIME_LABEL] ?? '',
    labels: nodeLabels,
    capacity: problems.length === 0 ? capacity : { functions: 0 },
    version: annotations[ANNOTATIONS.version],
    endpoint: annotations[ANNOTATIONS.endpoint],
    report,
    routes,
    expiresAtMs,
    ready: problems.length === 0 && expiresAtMs > nowMs,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}

/** What a node runtime puts in its Lease on each heartbeat. */
export interface NodeHeartbeat {
  readonly namespace: string;
  readonly runtime: string;
  readonly node: string;
  /** The process holding the Lease (pod name, or host + pid); empty releases the Lease. */
  readonly holder: string;
  readonly leaseDurationSeconds: number;
  readonly nowMs: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly capacity?: NodeCapacity;
  readonly version?: string;
  readonly endpoint?: string;
  readonly report?: NodeReport;
  readonly routes?: NodeRouteReport;
}

/** The Lease a node runtime applies on each heartbeat (the inverse of parseNodeLease). */
export function nodeLease(hb: NodeHeartbeat): NodeLease {
  const annotations: Record<string, string> = {
    [ANNOTATIONS.nodeLabels]: JSON.stringify(hb.labels ?? {}),
    [ANNOTATIONS.capacity]: JSON.stringify(hb.capacity ?? DEFAULT_CAPACITY),
    [ANNOTATIONS.report]: JSON.stringify(hb.report ?? {}),
    [ANNOTATIONS.routes]: JSON.stringify(hb.routes ?? {}),
  };
  if (hb.version !== undefined) annotations[ANNOTATIONS.version] = hb.version;
  if (hb.endpoint !== undefined) annotations[ANNOTATIONS.endpoint] = hb.endpoint;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeObjectName(hb.runtime, hb.node), namespace: hb.namespace, labels: { [RUNTIME_LABEL]: hb.runtime, [NODE_LABEL]: hb.node }, annotations },
    spec: { holderIdentity: hb.holder, leaseDurationSeconds: hb.leaseDurationSeconds, renewTime: microTime(hb.nowMs) },
  };
}
