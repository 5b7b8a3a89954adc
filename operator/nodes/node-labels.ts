/**
 * What placement takes from a node runtime's Node object. A node runtime registers labels in its
 * Lease (`--labels`, for nodes outside a kubelet: bare edge devices, tests); a DaemonSet pod cannot
 * learn its Node's labels (the downward API does not give them), so the operator, which already
 * reads Nodes, takes them from the Node object of the same name. That keeps the pods, which run
 * tenant code, without any cluster-scoped read, and a `kubectl label node` re-places functions at
 * once, with no pod restart. A cordoned Node (`spec.unschedulable`, `kubectl cordon` or `drain`)
 * takes no functions: `kubectl drain` leaves DaemonSet pods where they are (and the DaemonSet
 * puts an evicted one back, it tolerates the cordon), so the cordon is what moves functions off.
 */
import type { RegisteredNode } from '../../api/index.ts';
import type { KubeObject, ResourceType, Store } from '../../kube/index.ts';

export const NODE_TYPE: ResourceType = { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };

/** A registered node with what its Node object says about placement. */
export type PlacedNode<N extends RegisteredNode = RegisteredNode> = N & {
  /** Its Node is cordoned: functions move off it (it still routes and forwards them). */
  readonly cordoned: boolean;
};

/** True when the Node object is cordoned (`spec.unschedulable: true`). */
export function isCordoned(node: KubeObject | undefined): boolean {
  return (node as { spec?: { unschedulable?: unknown } } | undefined)?.spec?.unschedulable === true;
}

/** `node` with its labels for placement (the Lease's, overridden by its Node object's: the cluster's word on its own node) and whether it is cordoned. */
export function withNodeObject<N extends RegisteredNode>(node: N, nodes: Store<KubeObject>): PlacedNode<N> {
  const object = nodes.get(node.name);
  const labels = object?.metadata.labels;
  return { ...node, ...(labels === undefined ? {} : { labels: { ...node.labels, ...labels } }), cordoned: isCordoned(object) };
}

/** True when a Node event changes what placement reads (labels, cordon); its frequent status updates do not. */
export function nodeChangeMatters(node: KubeObject, old: KubeObject | undefined): boolean {
  return old === undefined || JSON.stringify(node.metadata.labels ?? {}) !== JSON.stringify(old.metadata.labels ?? {}) || isCordoned(node) !== isCordoned(old);
}
