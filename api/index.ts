/**
 * The flotilla.dev/v1alpha1 API: types, schemas, CRDs, validators, conditions and manifest loading.
 * A leaf: imports nothing of Flotilla's but errors.ts, and no cdk8s.
 */
export { API_VERSION, CATEGORY, GROUP, VERSION } from './group.ts';
export { CONDITION_TYPES, ConditionSchema, REASON_CODES, isReasonCode } from './conditions.ts';
export type { Condition, ConditionType, ReasonCode } from './conditions.ts';
export { CRON_PATTERN } from './cron.ts';
export { DIGEST, DIGEST_PATTERN, isDigest, pinnedDigest } from './digest.ts';
export { DIGEST_REF, DNS_LABEL } from './fields.ts';
export type { ObjectMeta } from './fields.ts';
export { ABIS, SCALE_TO_ZERO_AFTER_SECONDS, WASM_PAGE_BYTES, WasmFunctionSpecSchema, WasmFunctionStatusSchema } from './wasm-function.ts';
export type { Capabilities, FunctionLimits, FunctionPlacement, FunctionScaling, FunctionState, WasmFunctionSpec, WasmFunctionStatus } from './wasm-function.ts';
export { WasmRuntimeSpecSchema, WasmRuntimeStatusSchema } from './wasm-runtime.ts';
export { AllowedHostPathSchema, HostPathsSchema, NEVER_HOST_PATHS, hostPathRefusal, isUnder } from './host-paths.ts';
export type { AllowedHostPath, HostPaths } from './host-paths.ts';
export type { WasmRuntimeSpec, WasmRuntimeStatus } from './wasm-runtime.ts';
export { FunctionTriggerSpecSchema, FunctionTriggerStatusSchema } from './function-trigger.ts';
export type { FunctionTriggerSpec, FunctionTriggerStatus } from './function-trigger.ts';
export { BROKER_TRIGGER_TYPES, MISSED_RUN_POLICIES, TRIGGER_KINDS, TRIGGER_TYPES, brokerEndpoint } from './trigger-kinds.ts';
export type { Broker, BrokerTriggerType, MissedRunPolicy, SourceTriggerType, TriggerKind, TriggerSection, TriggerType } from './trigger-kinds.ts';
export { AUTH_TYPES, CLAIM_ENV, HTTP_METHODS, JWT_ALGORITHMS, RETRY_ON, FunctionRouteSpecSchema, FunctionRouteStatusSchema } from './function-route.ts';
export type { FunctionRouteSpec, FunctionRouteStatus, RouteAuth } from './function-route.ts';
export { clusterAuthGap } from './route-auth.ts';
export type { AuthGap } from './route-auth.ts';
export { FUNCTION_ROUTE, FUNCTION_TRIGGER, KINDS, KIND_NAMES, WASM_FUNCTION, WASM_RUNTIME, objectSchema } from './kinds.ts';
export type { FlotillaKind, FlotillaObject, FunctionRoute, FunctionTrigger, KindDefinition, PrinterColumn, WasmFunction, WasmRuntime } from './kinds.ts';
export { crdFor, crdSchema } from './crd.ts';
export type { CustomResourceDefinition } from './crd.ts';
export { toOpenApi } from './openapi.ts';
export type { JsonSchema } from './openapi.ts';
export type { CelRule } from './rules.ts';
export { formatErrors, makeSchemaValidator, makeValidator } from './validate.ts';
export type { ValidationError, ValidationResult } from './validate.ts';
export { validateFunctionRoute, validateFunctionTrigger, validateObject, validateWasmFunction, validateWasmRuntime } from './validators.ts';
export { groupByKind, loadManifestDir, parseManifests } from './manifests.ts';
export type { FlotillaManifests } from './manifests.ts';
export { ManifestError } from './manifest-error.ts';
export type { ManifestErrorCode, ManifestIssue } from './manifest-error.ts';
export { AUDIT_KINDS, AUDIT_MARK, AuditError, AuditLog, verifyAudit } from './audit.ts';
export type { AuditErrorCode, AuditEvent, AuditKind, AuditRecord, AuditSummary } from './audit.ts';
export { microTime } from './micro-time.ts';
export { ANNOTATIONS, BACKEND_HEADER, FORWARDED_BY_HEADER, SERVED_BY_HEADER, REUSE_ANNOTATION, DEFAULT_CAPACITY, NODE_FIELD_MANAGER, NODE_LABEL, NODE_RUNTIME_POD_LABELS, RUNTIME_LABEL, TRUST_POLICY_KEY, nodeLease, nodeObjectName, nodeRuntimeName, parseNodeLease } from './node-contract.ts';
export type { NodeHeartbeat, NodeLease, RegisteredNode } from './node-contract.ts';
export { ASSIGNMENT_KEY, AssignedFunctionSchema, AssignedRouteSchema, AssignedTriggerSchema, NodeAssignmentSchema, RemoteFunctionSchema, emptyAssignment, parseAssignment } from './node-assignment.ts';
export type { AssignedFunction, AssignedRoute, AssignedTrigger, NodeAssignment, ReadAssignment, RemoteFunction } from './node-assignment.ts';
export { FUNCTION_STATES, FunctionReportSchema, NodeCapacitySchema, NodeReportSchema, NodeRouteReportSchema, RouteReportSchema } from './node-report.ts';
export type { FunctionReport, NodeCapacity, NodeReport, NodeRouteReport, RouteReport } from './node-report.ts';
