/**
 * Status conditions: the types every kind reports and the CLOSED set of reasons the operator and
 * node runtime may set. The CRD schema enumerates the same reasons, so the API server rejects a
 * reason that is not listed here.
 */
import Type from 'typebox';

/** Condition types, in the order `kubectl describe` users read them. */
export const CONDITION_TYPES = ['Ready', 'SignatureVerified', 'ModuleAvailable', 'Progressing', 'Degraded'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/**
 * Every reason a Flotilla condition may carry. CamelCase, stable: a reason is also an Event reason,
 * a metric label and (through the owning error class) a CLI exit code. Add here first, then set it.
 */
export const REASON_CODES = [
  // Generic lifecycle.
  'Pending',
  'Reconciled',
  'InvalidSpec',
  // Ready / Progressing / Degraded for functions and runtimes.
  'AllInstancesReady',
  'InstancesNotReady',
  'ScaledToZero',
  'RolloutInProgress',
  'RolloutComplete',
  'RolloutBlocked',
  'NoMatchingNodes',
  'RuntimeNotFound',
  'LimitsExceedCeiling',
  'HostPathNotAllowed',
  'InstancesFailing',
  'NodesNotReady',
  'AllNodesReady',
  'NodeImageNotPinned',
  // SignatureVerified: one reason per distinct verification failure.
  'Verified',
  'NoSignature',
  'DigestMismatch',
  'UntrustedKey',
  'IdentityMismatch',
  'IssuerMismatch',
  'UntrustedRoot',
  'TrustPolicyNotFound',
  'InvalidSignature',
  // ModuleAvailable: pulling the artifact.
  'Pulled',
  'ManifestNotFound',
  'NotWasmArtifact',
  'RegistryUnreachable',
  'Unauthorized',
  'ModuleTooLarge',
  'CompileFailed',
  // Triggers and routes.
  'FunctionNotFound',
  'RouteNotFound',
  'RouteConflict',
  'AuthNotEnforceable',
  'SourceUnreachable',
  'ChainCycle',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** True when `s` is one of the closed reason codes. */
export function isReasonCode(s: string): s is ReasonCode {
  return (REASON_CODES as readonly string[]).includes(s);
}

/** Schema of one condition: metav1.Condition with the reason narrowed to REASON_CODES. */
export const ConditionSchema = Type.Object(
  {
    type: Type.Enum([...CONDITION_TYPES], { description: 'Condition type: Ready, SignatureVerified, ModuleAvailable, Progressing or Degraded.' }),
    status: Type.Enum(['True', 'False', 'Unknown'], { description: 'Status of the condition: True, False or Unknown.' }),
    observedGeneration: Type.Optional(
      Type.Integer({ minimum: 0, format: 'int64', description: 'metadata.generation of the object this condition was computed from; older than metadata.generation means stale.' }),
    ),
    lastTransitionTime: Type.String({ format: 'date-time', maxLength: 64, description: 'When the status last changed (RFC 3339).' }),
    reason: Type.Enum([...REASON_CODES], { description: 'CamelCase machine-readable reason; one of a closed set (see docs/api.md).' }),
    message: Type.String({ maxLength: 32768, description: 'Human-readable detail that says what to do next.' }),
  },
  { additionalProperties: false, description: 'One aspect of the object state, in the shape of metav1.Condition.' },
);

/** A status condition (metav1.Condition shape). */
export type Condition = Type.Static<typeof ConditionSchema>;

/** The conditions list of a status, merged by `type` (server-side apply list-map). */
export const ConditionsSchema = Type.Array(ConditionSchema, {
  maxItems: 16,
  description: 'Latest observations of the object state, one per condition type.',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});
