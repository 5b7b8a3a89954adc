/**
 * A node renews only its own Lease. Every node of a pool shares the pool's ServiceAccount, so RBAC
 * (resourceNames) cannot say "its own"; this ValidatingAdmissionPolicy can, from who is asking:
 * a pod-bound ServiceAccount token carries the pod's node in userInfo.extra
 * `authentication.kubernetes.io/node-name` (Kubernetes >= 1.32; a token bound to a Node object
 * carries it too, which is how a node runtime outside a pod gets one). For a pool's ServiceAccount
 * `flotilla-node-<pool>` it admits writes to the node Lease `flotilla-node-<pool>.<node>` of the
 * node named in its token only, with that node and pool in its labels (what the operator reads),
 * and to cron tick claims `flotilla-cron-*` (any node of the pool may claim a tick); every other
 * Lease write, and any node Lease write from a token without a node, is refused.
 */
import { NODE_LABEL, RUNTIME_LABEL, nodeRuntimeName } from './node-contract.ts';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from './admission.ts';

/** Name of the policy and of its binding (cluster-scoped). */
export const NODE_LEASE_POLICY = 'flotilla-node-own-lease';

/** The userInfo.extra key a node-bound or pod-bound ServiceAccount token carries. */
export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';

/** Prefix of a pool ServiceAccount's name and of its node Leases' names (nodeRuntimeName). */
const NODE_PREFIX = nodeRuntimeName('');
/** Prefix of cron tick claim Leases (node-runtime/triggers/cron/lease-claims.ts). */
export const CRON_LEASE_PREFIX = 'flotilla-cron-';

const LABELS = { 'app.kubernetes.io/part-of': 'flotilla' };
const ADMISSION_API = 'admissionregistration.k8s.io/v1';

type NodeLeasePolicy = Omit<ValidatingAdmissionPolicy, 'spec'> & { spec: Omit<ValidatingAdmissionPolicy['spec'], 'paramKind'> };
type NodeLeasePolicyBinding = Omit<ValidatingAdmissionPolicyBinding, 'spec'> & { spec: Omit<ValidatingAdmissionPolicyBinding['spec'], 'paramRef'> };

const label = (key: string) => `variables.lease.metadata.labels[${JSON.stringify(key).replaceAll('"', "'")}]`;
const hasLabel = (key: string) => `has(variables.lease.metadata.labels) && ${JSON.stringify(key).replaceAll('"', "'")} in variables.lease.metadata.labels`;

/** The policy: Lease writes by a pool's ServiceAccount are held to that node's own Lease and cron claims. */
export function nodeLeasePolicy(): NodeLeasePolicy {
  return {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: NODE_LEASE_POLICY, labels: LABELS },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: ['coordination.k8s.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE'], resources: ['leases'] }] },
      // Only pools' ServiceAccounts (the operator and others are bound by RBAC alone).
      matchConditions: [{ name: 'pool-service-account', expression: `request.userInfo.username.matches('^system:serviceaccount:[^:]+:${NODE_PREFIX}[^:]+$')` }],
      variables: [
        { name: 'lease', expression: "request.operation == 'DELETE' ? oldObject : object" },
        { name: 'serviceAccount', expression: "request.userInfo.username.split(':')[3]" },
        { name: 'pool', expression: `variables.serviceAccount.substring(${NODE_PREFIX.length})` },
        { name: 'node', expression: `'${NODE_NAME_EXTRA}' in request.userInfo.extra && size(request.userInfo.extra['${NODE_NAME_EXTRA}']) > 0 ? request.userInfo.extra['${NODE_NAME_EXTRA}'][0] : ''` },
        { name: 'isCronClaim', expression: `variables.lease.metadata.name.startsWith('${CRON_LEASE_PREFIX}')` },
      ],
      validations: [
        {
          expression: `variables.isCronClaim || variables.lease.metadata.name.startsWith('${NODE_PREFIX}')`,
          messageExpression: `'Lease ' + variables.lease.metadata.name + ': ' + request.userInfo.username + ' writes only its node Lease ' + variables.serviceAccount + '.<node> and cron tick claims ${CRON_LEASE_PREFIX}*'`,
          message: `a node runtime writes only its node Lease and cron tick claims ${CRON_LEASE_PREFIX}*`,
          reason: 'Forbidden',
        },
        {
          expression: "variables.isCronClaim || variables.node != ''",
          messageExpression: `'Lease ' + variables.lease.metadata.name + ': the token of ' + request.userInfo.username + ' names no node (${NODE_NAME_EXTRA}): use a token bound to the node runtime\\'s Pod or to its Node (TokenRequest boundObjectRef)'`,
          message: `a node Lease is written only with a token bound to a Pod or Node (${NODE_NAME_EXTRA})`,
          reason: 'Forbidden',
        },
        {
          expression: "variables.isCronClaim || variables.node == '' || variables.lease.metadata.name == variables.serviceAccount + '.' + variables.node",
          messageExpression: "'Lease ' + variables.lease.metadata.name + ': node ' + variables.node + ' may write only its own Lease ' + variables.serviceAccount + '.' + variables.node",
          message: 'a node runtime writes only its own node Lease',
          reason: 'Forbidden',
        },
        {
          expression: `variables.isCronClaim || variables.node == '' || request.operation == 'DELETE' || (${hasLabel(NODE_LABEL)} && ${label(NODE_LABEL)} == variables.node && ${hasLabel(RUNTIME_LABEL)} && ${label(RUNTIME_LABEL)} == variables.pool)`,
          messageExpression: `'Lease ' + variables.lease.metadata.name + ': labels ${NODE_LABEL} and ${RUNTIME_LABEL} must be ' + variables.node + ' and ' + variables.pool + ' (the operator places by them)'`,
          message: `a node Lease's labels ${NODE_LABEL} and ${RUNTIME_LABEL} must name the writer's node and pool`,
          reason: 'Forbidden',
        },
      ],
    },
  };
}

/** The binding: every namespace (pool ServiceAccounts are namespaced; matchConditions narrow to them). */
export function nodeLeasePolicyBinding(): NodeLeasePolicyBinding {
  return {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: NODE_LEASE_POLICY, labels: LABELS },
    spec: { policyName: NODE_LEASE_POLICY, validationActions: ['Deny'] },
  };
}
