/**
 * The four kinds as data: names, schemas and the CRD presentation (printer columns, scale). Both the
 * CRD generator (crd.ts) and the runtime validator (validate.ts) read these definitions.
 */
import Type from 'typebox';
import type { TSchema } from 'typebox';
import { API_VERSION } from './group.ts';
import { DNS_LABEL, ObjectMetaSchema } from './fields.ts';
import type { ObjectMeta } from './fields.ts';
import { FunctionRouteSpecSchema, FunctionRouteStatusSchema } from './function-route.ts';
import type { FunctionRouteSpec, FunctionRouteStatus } from './function-route.ts';
import { FunctionTriggerSpecSchema, FunctionTriggerStatusSchema } from './function-trigger.ts';
import type { FunctionTriggerSpec, FunctionTriggerStatus } from './function-trigger.ts';
import { celRules, celString } from './rules.ts';
import { WasmFunctionSpecSchema, WasmFunctionStatusSchema } from './wasm-function.ts';
import type { WasmFunctionSpec, WasmFunctionStatus } from './wasm-function.ts';
import { WasmRuntimeSpecSchema, WasmRuntimeStatusSchema } from './wasm-runtime.ts';
import type { WasmRuntimeSpec, WasmRuntimeStatus } from './wasm-runtime.ts';

/** A column of `kubectl get`. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date' | 'boolean' | 'number';
  readonly jsonPath: string;
  readonly description: string;
  /** 1 = shown only with `-o wide`. */
  readonly priority?: number;
}

/** Everything about one kind that is not code. */
export interface KindDefinition {
  readonly kind: FlotillaKind;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly description: string;
  readonly spec: TSchema;
  readonly status: TSchema;
  readonly printerColumns: readonly PrinterColumn[];
  readonly scale?: { readonly specReplicasPath: string; readonly statusReplicasPath: string; readonly labelSelectorPath: string };
}

export const KIND_NAMES = ['WasmFunction', 'WasmRuntime', 'FunctionTrigger', 'FunctionRoute'] as const;
export type FlotillaKind = (typeof KIND_NAMES)[number];

const condition = (type: string) => `.status.conditions[?(@.type=="${type}")].status`;
const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' } as const;
const ready = { name: 'Ready', type: 'string', jsonPath: condition('Ready'), description: 'Ready condition status.' } as const;

export const WASM_FUNCTION: KindDefinition = {
  kind: 'WasmFunction',
  plural: 'wasmfunctions',
  singular: 'wasmfunction',
  shortNames: ['wfn', 'wasmfn'],
  description: 'A WebAssembly function: a module pinned by digest, its limits, granted capabilities, state, scaling and placement.',
  spec: WasmFunctionSpecSchema,
  status: WasmFunctionStatusSchema,
  printerColumns: [
    ready,
    { name: 'Instances', type: 'integer', jsonPath: '.status.readyInstances', description: 'Instances ready to serve.' },
    { name: 'Desired', type: 'integer', jsonPath: '.status.desiredInstances', description: 'Instances the operator wants running.' },
    { name: 'Verified', type: 'string', jsonPath: condition('SignatureVerified'), description: 'SignatureVerified condition status.' },
    { name: 'Runtime', type: 'string', jsonPath: '.spec.runtimeClass', description: 'WasmRuntime pool.', priority: 1 },
    { name: 'Digest', type: 'string', jsonPath: '.status.resolvedDigest', description: 'Digest of the module the nodes run.', priority: 1 },
    age,
  ],
  scale: { specReplicasPath: '.spec.scaling.minInstances', statusReplicasPath: '.status.readyInstances', labelSelectorPath: '.status.selector' },
};

export const WASM_RUNTIME: KindDefinition = {
  kind: 'WasmRuntime',
  plural: 'wasmruntimes',
  singular: 'wasmruntime',
  shortNames: ['wrt'],
  description: 'A pool of node runtimes: engine settings, limit ceilings, cache, capacity, NATS, Service, nodes and trust policy.',
  spec: WasmRuntimeSpecSchema,
  status: WasmRuntimeStatusSchema,
  printerColumns: [
    ready,
    { name: 'Nodes', type: 'integer', jsonPath: '.status.readyNodes', description: 'Nodes whose runtime is ready.' },
    { name: 'Version', type: 'string', jsonPath: '.spec.version', description: 'Desired runtime version.' },
    { name: 'Trust', type: 'string', jsonPath: '.spec.trustPolicyRef.name', description: 'Trust policy.', priority: 1 },
    age,
  ],
};

export const FUNCTION_TRIGGER: KindDefinition = {
  kind: 'FunctionTrigger',
  plural: 'functiontriggers',
  singular: 'functiontrigger',
  shortNames: ['ftr'],
  description: 'Binds a WasmFunction to an event source (cron, NATS JetStream, MQTT, HTTP) with retries, dead letter and chaining.',
  spec: FunctionTriggerSpecSchema,
  status: FunctionTriggerStatusSchema,
  printerColumns: [
    ready,
    { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'Event source.' },
    { name: 'Function', type: 'string', jsonPath: '.spec.functionRef', description: 'Function invoked.' },
    { name: 'Last-Fired', type: 'date', jsonPath: '.status.lastFireTime', description: 'Last delivery.', priority: 1 },
    age,
  ],
};

export const FUNCTION_ROUTE: KindDefinition = {
  kind: 'FunctionRoute',
  plural: 'functionroutes',
  singular: 'functionroute',
  shortNames: ['frt'],
  description: 'Routes HTTP requests by host, path prefix and method to weighted WasmFunction backends.',
  spec: FunctionRouteSpecSchema,
  status: FunctionRouteStatusSchema,
  printerColumns: [
    ready,
    { name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'Host matched.' },
    { name: 'Path', type: 'string', jsonPath: '.spec.pathPrefix', description: 'Path prefix matched.' },
    { name: 'URL', type: 'string', jsonPath: '.status.url', description: 'URL the route answers on.', priority: 1 },
    age,
  ],
};

/** All kinds, in the order they are documented and applied. */
export const KINDS: readonly KindDefinition[] = [WASM_RUNTIME, WASM_FUNCTION, FUNCTION_TRIGGER, FUNCTION_ROUTE];

/** The metadata.name rule, at the root: a CRD schema may not constrain metadata itself beyond name. */
export const NAME_RULE = celRules({
  rule: `size(self.metadata.name) <= 63 && self.metadata.name.matches(${celString(DNS_LABEL)})`,
  // No fieldPath: the CRD schema declares no metadata fields for it to point at; the message names it.
  message: 'metadata.name must be a DNS label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit',
});

/** The whole object schema of a kind (what the runtime validator checks). */
export function objectSchema(def: KindDefinition): TSchema {
  return Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION, { description: `APIVersion: ${API_VERSION}.` }),
      kind: Type.Literal(def.kind, { description: `Kind: ${def.kind}.` }),
      metadata: ObjectMetaSchema,
      spec: def.spec,
      status: Type.Optional(def.status),
    },
    { description: def.description, additionalProperties: false, ...NAME_RULE },
  );
}

interface Obj<K extends FlotillaKind, Spec, Status> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export type WasmFunction = Obj<'WasmFunction', WasmFunctionSpec, WasmFunctionStatus>;
export type WasmRuntime = Obj<'WasmRuntime', WasmRuntimeSpec, WasmRuntimeStatus>;
export type FunctionTrigger = Obj<'FunctionTrigger', FunctionTriggerSpec, FunctionTriggerStatus>;
export type FunctionRoute = Obj<'FunctionRoute', FunctionRouteSpec, FunctionRouteStatus>;
/** Any object of a Flotilla kind. */
export type FlotillaObject = WasmFunction | WasmRuntime | FunctionTrigger | FunctionRoute;
