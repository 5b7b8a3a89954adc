/**
 * Node labels for placement. A node runtime registers labels in its Lease (`--labels`, for nodes
 * outside a kubelet: bare edge devices, tests); a DaemonSet pod cannot learn its Node's labels
 * (the downward API does not give them), so the operator, which already reads Nodes, takes them
 * from the Node object of the same name. That keeps the pods, which run tenant code, without any
 * cluster-scoped read, and a `kubectl label node` re-places functions at once, with no pod restart.
 */
import type { RegisteredNode } from '../../api/index.ts';
import type { KubeObject, ResourceType, Store } from '../../kube/index.ts';

export const NODE_TYPE: ResourceType = { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };

/** `node` with its labels for placement: the Lease's, overridden by its Node object's (the cluster's word on its own node). */
export function withNodeObjectLabels<N extends RegisteredNode>(node: N, nodes: Store<KubeObject>): N {
  const labels = nodes.get(node.name)?.metadata.labels;
  return labels === undefined ? node : { ...node, labels: { ...node.labels, ...labels } };
}
