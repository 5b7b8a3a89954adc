/**
 * Argo CD sync waves by kind: namespaces and CRDs first, the admission policy over them, then what
 * the system needs, then the system, then our objects in dependency order (pools before functions
 * before routes and triggers).
 */
const WAVES: Readonly<Record<string, number>> = {
  Namespace: -30,
  CustomResourceDefinition: -20,
  // Type-checked against the CRDs (and judging functions of wave 20), so between the two.
  ValidatingAdmissionPolicy: -15,
  ValidatingAdmissionPolicyBinding: -15,
  ServiceAccount: -10,
  ClusterRole: -10,
  ClusterRoleBinding: -10,
  Role: -10,
  RoleBinding: -10,
  ConfigMap: -10,
  NetworkPolicy: -10,
  Deployment: 0,
  DaemonSet: 0,
  ClusterPolicy: 0,
  WasmRuntime: 10,
  WasmFunction: 20,
  FunctionRoute: 30,
  FunctionTrigger: 40,
};

/** The sync wave of a kind (0 for kinds not listed). */
export function syncWave(kind: string): number {
  return WAVES[kind] ?? 0;
}

/** Kinds that are not namespaced, so a chart namespace must not be stamped on them. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ClusterRole', 'ClusterRoleBinding', 'ClusterPolicy']);
