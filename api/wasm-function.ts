/** `WasmFunction`: one WebAssembly module, pinned by digest, with its limits, grants and scaling. */
import Type from 'typebox';
import { ConditionsSchema } from './conditions.ts';
import { DIGEST_PATTERN } from './digest.ts';
import { DIGEST_REF, DNS_LABEL, HOSTNAME, obj, stringMap } from './fields.ts';
import { hostPathRules, hostPathString } from './host-paths.ts';
import { celRules, celString } from './rules.ts';

/** ABIs a module may be written against. WAGI: request on stdin + env, response on stdout. */
export const ABIS = ['wasi-preview1-wagi'] as const;

/** Bytes in one WebAssembly memory page. */
export const WASM_PAGE_BYTES = 65_536;

export const FunctionLimitsSchema = obj('Resource limits of each invocation.', {
  memoryPages: Type.Integer({
    minimum: 1,
    maximum: 65536,
    default: 256,
    format: 'int32',
    description: 'Maximum linear memory in 64 KiB WebAssembly pages (256 = 16 MiB); memory.grow past it fails.',
  }),
  timeoutMs: Type.Integer({ minimum: 1, maximum: 900000, default: 5000, format: 'int32', description: 'Wall-clock limit of one invocation in milliseconds; the worker running it is terminated at the limit.' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 10000, default: 8, format: 'int32', description: 'Invocations one instance runs at the same time; excess requests queue.' }),
}, { default: {} });

export const EnvVarSchema = obj('An environment variable granted to the module.', {
  name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Variable name (letters, digits, underscore; not starting with a digit).' }),
  value: Type.String({ maxLength: 4096, description: 'Variable value.' }),
});

export const VolumeSchema = obj(
  'A host directory preopened for the module (WASI preopen).',
  {
    name: Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, description: 'Volume name, unique within the function.' }),
    hostPath: hostPathString(
      "Absolute, normalized directory on the node; it must be at or below an entry of the WasmRuntime's spec.hostPaths.allowed (none by default), and never /, /proc, /sys or /dev.",
    ),
    mountPath: Type.String({ minLength: 1, maxLength: 1024, pattern: '^/', description: 'Absolute path the module sees.' }),
    readOnly: Type.Boolean({ default: true, description: 'Mount read-only (the default); set false to let the module write.' }),
  },
  { 'x-kubernetes-validations': hostPathRules('hostPath', 'capabilities.volumes[].hostPath') },
);

export const CapabilitiesSchema = obj('Capabilities granted to the module. Nothing is granted by default: no env, no network, no filesystem.', {
  env: Type.Array(EnvVarSchema, {
    maxItems: 64,
    default: [],
    description: 'Environment variables the module sees (besides the WAGI request variables).',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  }),
  allowedHosts: Type.Array(Type.String({ maxLength: 259, pattern: HOSTNAME.replace(/\$$/, '(:[0-9]{1,5})?$'), description: 'host or host:port' }), {
    maxItems: 64,
    default: [],
    description: 'Outbound hosts (host or host:port, `*.` wildcard allowed) the module may reach; empty means none. Not supported yet: functions have no outbound network, so a non-empty list is refused rather than accepted and enforced nowhere.',
    'x-kubernetes-list-type': 'set',
    ...celRules({
      rule: 'size(self) == 0',
      message: 'capabilities.allowedHosts is not supported yet: functions have no outbound network (no sockets, no outbound HTTP), so nothing would enforce the list; remove it',
      reason: 'FieldValueForbidden',
    }),
  }),
  volumes: Type.Array(VolumeSchema, {
    maxItems: 16,
    default: [],
    description: 'Host directories preopened for the module.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  }),
}, { default: {} });

/** Where a function's `flotilla:kv` state lives (docs/events.md, "State"). */
export const STATE_STORES = ['disk', 'nats'] as const;

export const StateSchema = obj(
  'Key-value state the module reaches through the flotilla:kv host imports; each function sees only its own keys.',
  {
    store: Type.Enum([...STATE_STORES], {
      default: 'disk',
      description:
        'Backend: disk (the default: on each node\'s local disk, crash-safe, survives a node restart, not shared between nodes) or nats (a NATS JetStream key-value bucket per function, shared by every node of the cluster; the nodes need a NATS connection).',
    }),
  },
);

/** Default idle window of a scale-to-zero function: long enough that a function used every few minutes stays warm. */
export const SCALE_TO_ZERO_AFTER_SECONDS = 300;

export const ScalingSchema = obj(
  'How many instances run. The operator scales between minInstances and maxInstances on concurrency; `kubectl scale` sets minInstances.',
  {
    minInstances: Type.Integer({ minimum: 0, maximum: 1000, default: 1, format: 'int32', description: 'Instances kept running even when idle; 0 requires scaleToZero.' }),
    maxInstances: Type.Integer({ minimum: 1, maximum: 1000, default: 10, format: 'int32', description: 'Upper bound of instances across the cluster.' }),
    targetConcurrency: Type.Integer({ minimum: 1, maximum: 10000, default: 8, format: 'int32', description: 'In-flight invocations per instance the autoscaler aims for.' }),
    scaleToZero: Type.Boolean({
      default: false,
      description:
        'Allow scaling to zero instances when idle. Requires minInstances 0. In cluster mode every node of the pool routes the function: the first request is held while the operator places and the node loads it (a cold start, at most 30 s, else 504), and an instance idle for scaleToZeroAfterSeconds is removed.',
    }),
    scaleToZeroAfterSeconds: Type.Optional(
      Type.Integer({
        minimum: 5,
        maximum: 86400,
        format: 'int32',
        // No schema default: it would be filled into every function, scaled to zero or not.
        description: `With scaleToZero: seconds an instance may go without an invocation (and none in flight) before it is removed; ${SCALE_TO_ZERO_AFTER_SECONDS} when unset. Short windows trade more cold starts for less memory.`,
      }),
    ),
  },
  {
    default: {},
    ...celRules(
    {
        rule: 'self.minInstances <= self.maxInstances',
        message: 'scaling.minInstances must be <= scaling.maxInstances; lower minInstances or raise maxInstances',
        fieldPath: '.minInstances',
      },
    { rule: 'self.minInstances > 0 || self.scaleToZero', message: 'scaling.minInstances is 0: set scaling.scaleToZero: true to allow zero instances, or raise minInstances', fieldPath: '.minInstances' },
    { rule: '!self.scaleToZero || self.minInstances == 0', message: 'scaling.scaleToZero requires scaling.minInstances: 0', fieldPath: '.scaleToZero' },
    ),
  },
);

export const TopologySpreadSchema = obj('Spread of instances across a topology domain.', {
  topologyKey: Type.String({ minLength: 1, maxLength: 317, description: 'Node label whose values are the domains, e.g. topology.kubernetes.io/zone.' }),
  maxSkew: Type.Integer({ minimum: 1, maximum: 100, default: 1, format: 'int32', description: 'Largest allowed difference of instance counts between domains.' }),
  whenUnsatisfiable: Type.Enum(['DoNotSchedule', 'ScheduleAnyway'], { default: 'ScheduleAnyway', description: 'DoNotSchedule refuses placements that break maxSkew; ScheduleAnyway prefers but allows them.' }),
});

export const PlacementSchema = obj('Which nodes run the function.', {
  nodeSelector: Type.Optional(stringMap('Node labels an instance node must carry.')),
  topologySpread: Type.Optional(TopologySpreadSchema),
});

export const ModuleSchema = obj(
  'The WebAssembly module, an OCI artifact pinned by digest.',
  {
    ref: Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'OCI reference pinned by digest: <registry>/<repository>@sha256:<64 hex>. A tag is resolved and pinned (`flotilla push`), never trusted.',
    }),
  },
  celRules({
    rule: `self.ref.matches(${celString(DIGEST_REF)})`,
    messageExpression:
      "'module.ref must be pinned by digest as <registry>/<repository>@sha256:<64 lowercase hex>, got ' + self.ref + '; a tag is not accepted: resolve it with `flotilla push` and use the digest'",
    message: 'module.ref must be pinned by digest as <registry>/<repository>@sha256:<64 lowercase hex>; a tag is not accepted: resolve it with `flotilla push` and use the digest',
    fieldPath: '.ref',
  }),
);

export const WasmFunctionSpecSchema = obj('Desired state of a WasmFunction.', {
  module: ModuleSchema,
  abi: Type.Enum([...ABIS], { default: 'wasi-preview1-wagi', description: 'Calling convention of the module: wasi-preview1-wagi (request on stdin and env, response on stdout).' }),
  limits: FunctionLimitsSchema,
  capabilities: CapabilitiesSchema,
  state: Type.Optional(StateSchema),
  scaling: ScalingSchema,
  placement: Type.Optional(PlacementSchema),
  runtimeClass: Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, default: 'default', description: 'Name of the WasmRuntime pool that runs this function.' }),
});

export const WasmFunctionStatusSchema = obj('Observed state of a WasmFunction, written by the operator.', {
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0, format: 'int64', description: 'metadata.generation the status reflects.' })),
  conditions: Type.Optional(ConditionsSchema),
  resolvedDigest: Type.Optional(Type.String({ maxLength: 71, pattern: DIGEST_PATTERN, description: 'Digest of the module manifest the nodes run: spec.module.ref once verified; while a newer ref fails verification or cannot be pulled, the last verified one.' })),
  moduleRef: Type.Optional(Type.String({ maxLength: 512, description: 'Full reference (<registry>/<repository>@<resolvedDigest>) of the module the nodes run.' })),
  readyInstances: Type.Optional(Type.Integer({ minimum: 0, format: 'int32', description: 'Instances ready to serve.' })),
  desiredInstances: Type.Optional(Type.Integer({ minimum: 0, format: 'int32', description: 'Instances the operator wants running.' })),
  nodes: Type.Optional(Type.Array(Type.String({ maxLength: 253, description: 'Node name.' }), { maxItems: 1000, description: 'Nodes that run an instance.', 'x-kubernetes-list-type': 'set' })),
  selector: Type.Optional(Type.String({ maxLength: 1024, description: 'Label selector of the instances, for the scale subresource (HPA).' })),
});

export type FunctionLimits = Type.Static<typeof FunctionLimitsSchema>;
export type Capabilities = Type.Static<typeof CapabilitiesSchema>;
export type FunctionScaling = Type.Static<typeof ScalingSchema>;
export type FunctionPlacement = Type.Static<typeof PlacementSchema>;
export type FunctionState = Type.Static<typeof StateSchema>;
export type WasmFunctionSpec = Type.Static<typeof WasmFunctionSpecSchema>;
export type WasmFunctionStatus = Type.Static<typeof WasmFunctionStatusSchema>;
