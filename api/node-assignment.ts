/**
 * `NodeAssignment`: what the operator tells one node to run, the `assignment.json` of the node's
 * ConfigMap (api/node-contract.ts). Each function, route and trigger carries its object's whole
 * `spec` as the API server validated it (a function's but its declared module), beside what the
 * operator decided (the verified module, the trust policy, its pool's host path ceiling, which
 * backends this node serves), so the node runs the declared object and nothing is copied field by field. One schema yields the
 * types and the node's validator.
 */
import Type from 'typebox';
import { DIGEST_PATTERN } from './digest.ts';
import { DIGEST_REF, DNS_LABEL, obj, objectName } from './fields.ts';
import { HostPathsSchema } from './host-paths.ts';
import { ManifestError } from './manifest-error.ts';
import { FunctionRouteSpecSchema } from './function-route.ts';
import { FunctionTriggerSpecSchema } from './function-trigger.ts';
import { celRules } from './rules.ts';
import { makeSchemaValidator } from './validate.ts';
import type { ValidationError } from './validate.ts';
import { WasmFunctionSpecSchema } from './wasm-function.ts';

/** Key of the assignment document inside the node's ConfigMap. */
export const ASSIGNMENT_KEY = 'assignment.json';

const LABEL = DNS_LABEL.slice(1, -1);

const functionKey = (description: string) => Type.String({ maxLength: 127, pattern: `^${LABEL}/${LABEL}$`, description });

const namespace = Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, description: 'Namespace of the object.' });

export const AssignedFunctionSchema = obj(
  'A function as the node must run it (or hold dormant): its WasmFunction spec and the module the operator verified in place of the declared one.',
  {
    namespace,
    name: objectName('Name of the WasmFunction.'),
    uid: Type.String({ maxLength: 128, description: 'metadata.uid of the WasmFunction.' }),
    generation: Type.Integer({ minimum: 0, description: 'metadata.generation the spec is from.' }),
    // Without its module: a declared ref that has not verified (yet) must never reach a node, not even as a field it ignores.
    spec: Type.Omit(WasmFunctionSpecSchema, ['module'], { description: 'The WasmFunction spec, all but module: the node runs ref.', additionalProperties: false }),
    ref: Type.String({
      maxLength: 512,
      pattern: DIGEST_REF,
      description: 'The module to run, pinned by digest (status.moduleRef): the last verified one, which stays while a newer spec.module.ref fails.',
    }),
    digest: Type.String({ maxLength: 71, pattern: DIGEST_PATTERN, description: 'Digest of that module (status.resolvedDigest); what the node reports on.' }),
    trustPolicy: Type.String({
      minLength: 1,
      maxLength: 253,
      description: "Name of the trust policy ConfigMap the node verifies the module against (in the operator's namespace, where the operator verified it).",
    }),
    reuse: Type.Optional(Type.Boolean({ description: 'The function opted into instance reuse (annotation flotilla.dev/instance-reuse "true"); absent means pristine instances.' })),
    // Its WasmRuntime's ceiling, which the node enforces again itself; absent (an older operator) defaults to none allowed.
    hostPaths: HostPathsSchema,
  },
  celRules({ rule: "self.ref.endsWith('@' + self.digest)", message: 'ref must be pinned to digest: expected <registry>/<repository>@<digest>', fieldPath: '.ref' }),
);

export const RemoteFunctionSchema = obj('A function this node does not run but forwards requests for: where it runs.', {
  function: functionKey('`namespace/name` of the WasmFunction.'),
  endpoints: Type.Array(Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$', description: 'Base URL.' }), {
    minItems: 1,
    description: "Serving endpoints (the Leases' flotilla.dev/endpoint) of the ready nodes running it, sorted.",
    'x-kubernetes-list-type': 'set',
  }),
});

export const AssignedRouteSchema = obj('An HTTP route with the backends this node runs, holds dormant or forwards.', {
  namespace,
  name: objectName('Name of the FunctionRoute.'),
  spec: FunctionRouteSpecSchema,
  backends: Type.Array(FunctionRouteSpecSchema.properties.backends.items, {
    minItems: 1,
    maxItems: 16,
    description: 'spec.backends narrowed to those this node runs, holds dormant or forwards, their weights renormalised to 100 over those: what the node routes by.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['functionRef'],
  }),
});

export const AssignedTriggerSchema = obj('An event trigger whose function runs on this node.', {
  namespace,
  name: objectName('Name of the FunctionTrigger.'),
  spec: FunctionTriggerSpecSchema,
});

const byObjectKey = { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['namespace', 'name'] } as const;

export const NodeAssignmentSchema = obj('Everything one node runs: the content of its assignment ConfigMap. Sorted, so equal plans serialise equally.', {
  node: Type.String({ minLength: 1, maxLength: 253, description: 'The node the assignment is for.' }),
  functions: Type.Array(AssignedFunctionSchema, { ...byObjectKey, description: 'Functions placed on this node: loaded and run.' }),
  dormant: Type.Array(AssignedFunctionSchema, {
    ...byObjectKey,
    description: 'Scale-to-zero functions this node does not run but may be asked for (their routes are in routes): a request for one is held while the node reports it Wanted. Not loaded.',
  }),
  remote: Type.Array(RemoteFunctionSchema, {
    description: 'Functions of the pool that run on other nodes only (their routes are in routes): a request for one is forwarded to one of its endpoints. Neither loaded nor held here.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['function'],
  }),
  routes: Type.Array(AssignedRouteSchema, { ...byObjectKey, description: 'HTTP routes with a backend this node runs, holds dormant or forwards.' }),
  triggers: Type.Array(AssignedTriggerSchema, { ...byObjectKey, description: "Event triggers to run here (cron and MQTT on the first of a function's nodes only, NATS and HTTP on all)." }),
});

export type AssignedFunction = Type.Static<typeof AssignedFunctionSchema>;
export type RemoteFunction = Type.Static<typeof RemoteFunctionSchema>;
export type AssignedRoute = Type.Static<typeof AssignedRouteSchema>;
export type AssignedTrigger = Type.Static<typeof AssignedTriggerSchema>;
export type NodeAssignment = Type.Static<typeof NodeAssignmentSchema>;

/** An assignment as read, and the entries left out of it because they did not validate (one line each). */
export interface ReadAssignment {
  readonly assignment: NodeAssignment;
  readonly issues: readonly string[];
}

/** An empty assignment: what a node runs before the operator has written its ConfigMap, or after it is deleted. */
export function emptyAssignment(node: string): NodeAssignment {
  return { node, functions: [], dormant: [], remote: [], routes: [], triggers: [] };
}

const validateAssignment = makeSchemaValidator<NodeAssignment>(NodeAssignmentSchema);

const LISTS = ['functions', 'dormant', 'remote', 'routes', 'triggers'] as const;
const ENTRY = /^(functions|dormant|remote|routes|triggers)\[(\d+)\]/;

/** `functions[2] shop/hello`: where an entry is and which object it stands for, as far as it says. */
function entryName(list: string, i: number, item: unknown): string {
  const o = (item ?? {}) as Record<string, unknown>;
  const key = typeof o['function'] === 'string' ? o['function'] : typeof o['namespace'] === 'string' && typeof o['name'] === 'string' ? `${o['namespace']}/${o['name']}` : undefined;
  return key === undefined ? `${list}[${i}]` : `${list}[${i}] ${key}`;
}

/**
 * Reads an `assignment.json` ('' = none yet) for `node`, validated against NodeAssignmentSchema
 * (defaults, structure, list keys, the specs' CEL rules): the node trusts the API server, not the
 * shape of a ConfigMap someone may have edited. An entry that does not validate is left out with
 * its errors in `issues` and the rest is kept, so one bad function does not stop a node; an
 * envelope that does not (not JSON, another node, a list missing) throws, naming the path.
 */
export function parseAssignment(text: string, node: string): ReadAssignment {
  if (text === '') return { assignment: emptyAssignment(node), issues: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ManifestError('InvalidManifest', `${ASSIGNMENT_KEY}: expected JSON, got a parse error: ${(err as Error).message}`, [], { cause: err });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ManifestError('InvalidManifest', `${ASSIGNMENT_KEY}: expected an object { node, ${LISTS.join(', ')} }, got ${JSON.stringify(doc)}`);
  const d = doc as Record<string, unknown>;
  if (d['node'] !== node) throw new ManifestError('InvalidManifest', `${ASSIGNMENT_KEY}: expected node ${JSON.stringify(node)}, got ${JSON.stringify(d['node'])}`, []);
  const issues: string[] = [];
  // Each round either accepts, throws, or leaves out at least one entry: CEL rules and list keys are
  // only checked once the structure is right, so an entry may fail in the round after another's removal.
  for (;;) {
    const result = validateAssignment(d);
    if (result.ok) return { assignment: result.value, issues };
    const byEntry = new Map<string, ValidationError[]>();
    const envelope: ValidationError[] = [];
    for (const e of result.errors) {
      const at = ENTRY.exec(e.path)?.[0];
      if (at === undefined) envelope.push(e);
      else byEntry.set(at, [...(byEntry.get(at) ?? []), e]);
    }
    if (envelope.length > 0) throw new ManifestError('InvalidManifest', `${ASSIGNMENT_KEY}: ${envelope.map((e) => e.message).join('; ')}`, []);
    // An entry's errors may come before its list's own (a list that is no list): then that list is left for the next round's envelope error.
    let removed = 0;
    for (const list of LISTS) {
      const items = d[list];
      if (!Array.isArray(items)) continue;
      d[list] = items.filter((item: unknown, i) => {
        const errors = byEntry.get(`${list}[${i}]`);
        if (errors === undefined) return true;
        issues.push(`${ASSIGNMENT_KEY}: ${entryName(list, i, item)} left out: ${errors.map((e) => e.message).join('; ')}`);
        removed++;
        return false;
      });
    }
    if (removed === 0) throw new ManifestError('InvalidManifest', `${ASSIGNMENT_KEY}: ${result.errors.map((e) => e.message).join('; ')}`, []);
  }
}
