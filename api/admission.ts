/**
 * Admission ceilings in the API server: one ValidatingAdmissionPolicy whose parameters are the
 * WasmRuntimes of the function's namespace, and its binding. Each validation judges a WasmFunction
 * only against its own pool (spec.runtimeClass) and checks one ceiling: memory pages, timeout,
 * concurrency, host paths. The operator's checks (operator/wasm-function/plan.ts) stay: the API
 * server only judges writes, so a function admitted before its pool's ceiling was lowered is
 * still reported there.
 */
import { API_VERSION, GROUP, VERSION } from './group.ts';
import { isUnderCel } from './host-paths.ts';

/** Name of the policy and of its binding (cluster-scoped). */
export const CEILINGS_POLICY = 'flotilla-wasmruntime-ceilings';

const ADMISSION_API = 'admissionregistration.k8s.io/v1';

/** One `spec.validations[]` entry of a ValidatingAdmissionPolicy. */
export interface AdmissionValidation {
  readonly expression: string;
  readonly message: string;
  readonly messageExpression: string;
  readonly reason: 'Invalid' | 'Forbidden';
}

/** A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) as plain data. */
export interface ValidatingAdmissionPolicy {
  readonly apiVersion: typeof ADMISSION_API;
  readonly kind: 'ValidatingAdmissionPolicy';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly failurePolicy: 'Fail';
    readonly paramKind: { readonly apiVersion: string; readonly kind: string };
    readonly matchConstraints: { readonly resourceRules: readonly { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[] };
    readonly matchConditions: readonly { name: string; expression: string }[];
    readonly variables: readonly { name: string; expression: string }[];
    readonly validations: readonly AdmissionValidation[];
  };
}

/** A ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io/v1) as plain data. */
export interface ValidatingAdmissionPolicyBinding {
  readonly apiVersion: typeof ADMISSION_API;
  readonly kind: 'ValidatingAdmissionPolicyBinding';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly policyName: string;
    readonly validationActions: readonly ['Deny'];
    readonly paramRef: { readonly selector: Record<string, never>; readonly parameterNotFoundAction: 'Allow' };
  };
}

const LABELS = { 'app.kubernetes.io/part-of': 'flotilla' };

/** The limits a pool caps, as in WasmRuntime spec.ceilings and WasmFunction spec.limits. */
export const CEILING_LIMITS = ['memoryPages', 'timeoutMs', 'concurrency'] as const;

// Named once so each validation and message reads as a sentence. Variables are evaluated lazily.
const VARIABLES = [
  // Every WasmRuntime of the namespace is a param (the binding selects them all); only the
  // function's own pool judges it.
  { name: 'judged', expression: 'object.spec.runtimeClass == params.metadata.name' },
  { name: 'pool', expression: "'WasmRuntime ' + params.metadata.namespace + '/' + params.metadata.name" },
  { name: 'allowed', expression: 'params.spec.hostPaths.allowed' },
  { name: 'outside', expression: `object.spec.capabilities.volumes.filter(v, !variables.allowed.exists(a, ${isUnderCel('v.hostPath', 'a.path')}))` },
  // Covered, but only by read-only entries, while the volume asks to write.
  {
    name: 'writesUnderReadOnly',
    expression: `object.spec.capabilities.volumes.filter(v, !v.readOnly && variables.allowed.exists(a, ${isUnderCel('v.hostPath', 'a.path')}) && !variables.allowed.exists(a, !a.readOnly && ${isUnderCel('v.hostPath', 'a.path')}))`,
  },
] as const;

function limitValidation(f: (typeof CEILING_LIMITS)[number]): AdmissionValidation {
  return {
    expression: `!variables.judged || !has(params.spec.ceilings) || !has(params.spec.ceilings.${f}) || object.spec.limits.${f} <= params.spec.ceilings.${f}`,
    messageExpression: `'spec.limits.${f} ' + string(object.spec.limits.${f}) + ' exceeds ' + variables.pool + ' spec.ceilings.${f} ' + string(params.spec.ceilings.${f}) + ': lower it or raise the pool\\'s ceiling'`,
    message: `spec.limits.${f} exceeds spec.ceilings.${f} of the WasmRuntime named by spec.runtimeClass: lower it or raise the pool's ceiling`,
    reason: 'Invalid',
  };
}

const volumesOf = (list: string) => `${list}.map(v, v.name + ' (' + v.hostPath + ')').join(', ')`;

const HOST_PATH_VALIDATIONS: AdmissionValidation[] = [
  {
    expression: '!variables.judged || size(variables.outside) == 0',
    messageExpression:
      `'spec.capabilities.volumes ' + ${volumesOf('variables.outside')} + ' not at or below an entry of ' + variables.pool + ' spec.hostPaths.allowed (' + ` +
      `(size(variables.allowed) == 0 ? 'empty: no host paths' : variables.allowed.map(a, a.path).join(', ')) + '): add the directory there or use an allowed one'`,
    message: "spec.capabilities.volumes: a hostPath is not at or below an entry of spec.hostPaths.allowed of the WasmRuntime named by spec.runtimeClass: add the directory there or use an allowed one",
    reason: 'Invalid',
  },
  {
    expression: '!variables.judged || size(variables.writesUnderReadOnly) == 0',
    messageExpression:
      `'spec.capabilities.volumes ' + ${volumesOf('variables.writesUnderReadOnly')} + ' readOnly: false, but ' + variables.pool + ' spec.hostPaths.allowed allows them read-only only: ' + ` +
      "'set readOnly: true on the volume or readOnly: false on the allowed entry'",
    message: 'spec.capabilities.volumes: a read-write volume is under a read-only entry of spec.hostPaths.allowed of the WasmRuntime named by spec.runtimeClass: set readOnly: true on the volume or readOnly: false on the allowed entry',
    reason: 'Invalid',
  },
];

/** The policy: every WasmFunction write that sets a spec is judged against its pool's ceilings. */
export function ceilingsPolicy(): ValidatingAdmissionPolicy {
  return {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: CEILINGS_POLICY, labels: LABELS },
    spec: {
      // Deny by default: a policy that cannot be evaluated refuses rather than admits.
      failurePolicy: 'Fail',
      paramKind: { apiVersion: API_VERSION, kind: 'WasmRuntime' },
      matchConstraints: { resourceRules: [{ apiGroups: [GROUP], apiVersions: [VERSION], operations: ['CREATE', 'UPDATE'], resources: ['wasmfunctions'] }] },
      // An update that leaves the spec alone (labels, annotations, Argo CD tracking) changes nothing
      // the ceilings govern; judging it would block metadata edits of a function admitted before
      // its pool's ceiling was lowered, which the operator already reports.
      matchConditions: [{ name: 'spec-written', expression: 'oldObject == null || object.spec != oldObject.spec' }],
      variables: VARIABLES.map((v) => ({ ...v })),
      validations: [...CEILING_LIMITS.map(limitValidation), ...HOST_PATH_VALIDATIONS],
    },
  };
}

/**
 * The binding: params are every WasmRuntime in the function's namespace (paramRef without a
 * namespace takes the object's). A function whose pool does not exist is admitted (no param
 * judges it; none at all in the namespace: parameterNotFoundAction Allow): the operator reports it
 * RuntimeNotFound.
 */
export function ceilingsPolicyBinding(): ValidatingAdmissionPolicyBinding {
  return {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: CEILINGS_POLICY, labels: LABELS },
    spec: { policyName: CEILINGS_POLICY, validationActions: ['Deny'], paramRef: { selector: {}, parameterNotFoundAction: 'Allow' } },
  };
}
