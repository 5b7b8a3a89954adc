/**
 * Node runtimes verify modules against the trust policy where the operator does (the system
 * namespace); the ServiceAccount the operator creates for each pool may read that one ConfigMap.
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { nodeRuntimeName, nodeTrustPolicyCalls, RBAC_NAMES, rulesFor } from '../api/index.ts';
import { NODE_RUNTIME_LABELS } from './system.ts';

/** The Role and RoleBinding letting the pools' node runtimes (`pools`: namespace + WasmRuntime name) read trust policy `policy`. */
export function grantTrustPolicyToNodes(scope: Construct, props: { readonly policy: string; readonly systemNamespace: string; readonly pools: readonly { readonly namespace: string; readonly name: string }[] }): void {
  if (props.pools.length === 0) return;
  const metadata = { name: RBAC_NAMES.nodeTrustPolicy, namespace: props.systemNamespace, labels: NODE_RUNTIME_LABELS };
  new ApiObject(scope, 'NodeTrustPolicyRole', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata,
    rules: rulesFor(nodeTrustPolicyCalls(props.policy)),
  });
  new ApiObject(scope, 'NodeTrustPolicyBinding', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
    subjects: [...props.pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((p) => ({ kind: 'ServiceAccount', name: nodeRuntimeName(p.name), namespace: p.namespace })),
  });
}
