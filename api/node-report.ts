/**
 * What a node says about itself in its Lease annotations (api/node-contract.ts): its labels, its
 * capacity and its report on every assigned function. One schema per annotation yields the type the
 * node writes and the validator the operator reads it with.
 */
import Type from 'typebox';
import { obj } from './fields.ts';
import { makeSchemaValidator } from './validate.ts';

/** Load states a node reports. `Wanted`: a dormant function (not run here) with requests waiting for it, demand the operator places it for. */
export const FUNCTION_STATES = ['Loading', 'Loaded', 'Failed', 'Wanted'] as const;

export const FunctionReportSchema = obj('One function as a node reports it.', {
  digest: Type.String({ maxLength: 71, description: 'The module version the state is about.' }),
  state: Type.Enum([...FUNCTION_STATES], { description: 'Loading, Loaded, Failed, or Wanted (dormant here, requests waiting).' }),
  reason: Type.Optional(Type.String({ maxLength: 128, description: 'CamelCase reason when Failed (from api/ REASON_CODES, e.g. CompileFailed, NoSignature).' })),
  message: Type.Optional(Type.String({ description: 'What went wrong, for the user.' })),
  failures: Type.Optional(Type.Integer({ minimum: 0, description: 'Consecutive failures on this node; the operator marks the function Degraded past a threshold.' })),
  inFlight: Type.Optional(Type.Number({ minimum: 0, description: 'Invocations in flight on this node, averaged over the last heartbeat interval (drives autoscaling).' })),
  waiting: Type.Optional(Type.Integer({ minimum: 0, description: 'Wanted: requests held on this node for the function.' })),
  idle: Type.Optional(Type.Boolean({ description: 'A scale-to-zero function without an invocation here for its scaleToZeroAfterSeconds (and none in flight).' })),
});

export const NodeReportSchema = Type.Record(Type.String({ description: 'Function key, `namespace/name`.' }), FunctionReportSchema, {
  description: 'Function key (`namespace/name`) → report.',
});

export const NodeCapacitySchema = obj('How much a node takes.', {
  functions: Type.Integer({ minimum: 0, description: 'Functions the node accepts.' }),
});

export const NodeLabelsSchema = Type.Record(Type.String(), Type.String(), { description: "The node's labels, matched against WasmFunction placement.nodeSelector." });

/** Why a node refuses a route's requests (503): its auth cannot be enforced there now. */
export const RouteReportSchema = obj('One route this node cannot serve as declared.', {
  reason: Type.Enum(['AuthNotEnforceable'], { description: 'AuthNotEnforceable: the route\'s auth cannot be enforced here (JWKS unreachable, Secret missing...), so its requests get 503.' }),
  message: Type.String({ maxLength: 1024, description: 'What is wrong, for the user.' }),
});

export const NodeRouteReportSchema = Type.Record(Type.String({ description: 'Route key, `namespace/name`.' }), RouteReportSchema, {
  maxProperties: 1000,
  description: 'Route key (`namespace/name`) → why this node refuses it; routes served as declared are absent.',
});

export type RouteReport = Type.Static<typeof RouteReportSchema>;
export type NodeRouteReport = Type.Static<typeof NodeRouteReportSchema>;
export type FunctionReport = Type.Static<typeof FunctionReportSchema>;
export type NodeReport = Type.Static<typeof NodeReportSchema>;
export type NodeCapacity = Type.Static<typeof NodeCapacitySchema>;

/** Validates a parsed `flotilla.dev/function-status` annotation. */
export const validateNodeReport = makeSchemaValidator<NodeReport>(NodeReportSchema);
/** Validates a parsed `flotilla.dev/route-status` annotation. */
export const validateNodeRouteReport = makeSchemaValidator<NodeRouteReport>(NodeRouteReportSchema);
/** Validates a parsed `flotilla.dev/capacity` annotation. */
export const validateNodeCapacity = makeSchemaValidator<NodeCapacity>(NodeCapacitySchema);
/** Validates a parsed `flotilla.dev/node-labels` annotation. */
export const validateNodeLabels = makeSchemaValidator<Record<string, string>>(NodeLabelsSchema);
