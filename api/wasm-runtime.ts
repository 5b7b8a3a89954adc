/** `WasmRuntime`: a pool of node runtimes, their engine settings, limit defaults and ceilings. */
import Type from 'typebox';
import { ConditionsSchema } from './conditions.ts';
import { obj, objectName, stringMap } from './fields.ts';
import { HostPathsSchema } from './host-paths.ts';
import { celRules } from './rules.ts';

const limit = (what: string, max: number) => Type.Optional(Type.Integer({ minimum: 1, maximum: max, format: 'int32', description: what }));

const LimitSetSchema = (description: string) =>
  obj(description, {
    memoryPages: limit('Linear memory in 64 KiB pages.', 65536),
    timeoutMs: limit('Invocation timeout in milliseconds.', 900000),
    concurrency: limit('Concurrent invocations per instance.', 10000),
  });

const EngineSchema = obj(
  'Settings of the WebAssembly engine on each node.',
  {
    kind: Type.Enum(['v8'], { default: 'v8', description: 'Engine: v8 (Node.js WebAssembly).' }),
    workers: Type.Integer({ minimum: 1, maximum: 256, default: 2, format: 'int32', description: 'Worker threads (isolates) per node that run invocations.' }),
    stackSizeKb: Type.Integer({ minimum: 64, maximum: 65536, default: 984, format: 'int32', description: 'Stack size of each worker in KiB; deep recursion beyond it traps cleanly.' }),
  },
  { default: {} },
);

export const WasmRuntimeSpecSchema = obj(
  'Desired state of a WasmRuntime pool.',
  {
    version: Type.String({ maxLength: 64, pattern: '^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$', description: 'Node runtime version the operator rolls out to the pool (semver).' }),
    engine: EngineSchema,
    defaults: Type.Optional(LimitSetSchema('Limits a function gets when it sets none.')),
    ceilings: Type.Optional(LimitSetSchema('Largest limits a function in this pool may ask for.')),
    cache: obj('On-disk module cache of each node.', { sizeMiB: Type.Integer({ minimum: 16, maximum: 1048576, default: 1024, format: 'int32', description: 'Size bound of the content-addressed cache; least recently used modules are evicted.' }) }, { default: {} }),
    warmPool: obj('Pre-instantiated instances kept per node.', { size: Type.Integer({ minimum: 0, maximum: 1000, default: 0, format: 'int32', description: 'Instances kept warm per node.' }) }, { default: {} }),
    hostPaths: HostPathsSchema,
    nodeSelector: Type.Optional(stringMap('Node labels of the nodes in this pool.')),
    trustPolicyRef: obj('The trust policy modules must satisfy before they run.', { name: objectName('Name of the trust policy ConfigMap in the operator namespace.') }),
  },
  celRules(
    ...(['memoryPages', 'timeoutMs', 'concurrency'] as const).map((f) => ({
      rule: `!has(self.defaults) || !has(self.ceilings) || !has(self.defaults.${f}) || !has(self.ceilings.${f}) || self.defaults.${f} <= self.ceilings.${f}`,
      message: `defaults.${f} must be <= ceilings.${f}; lower the default or raise the ceiling`,
      fieldPath: `.defaults.${f}`,
    })),
  ),
);

export const WasmRuntimeStatusSchema = obj('Observed state of a WasmRuntime pool.', {
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0, format: 'int64', description: 'metadata.generation the status reflects.' })),
  conditions: Type.Optional(ConditionsSchema),
  readyNodes: Type.Optional(Type.Integer({ minimum: 0, format: 'int32', description: 'Nodes whose runtime is ready.' })),
  desiredNodes: Type.Optional(Type.Integer({ minimum: 0, format: 'int32', description: 'Nodes matching the selector.' })),
  currentVersion: Type.Optional(Type.String({ maxLength: 64, description: 'Runtime version running on every ready node.' })),
});

export type WasmRuntimeSpec = Type.Static<typeof WasmRuntimeSpecSchema>;
export type WasmRuntimeStatus = Type.Static<typeof WasmRuntimeStatusSchema>;
