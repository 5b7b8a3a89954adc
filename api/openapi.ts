/**
 * Turns a TypeBox schema into a Kubernetes structural `openAPIV3Schema`: every node typed, enums
 * instead of const unions, maps as `additionalProperties`, no `$ref`, and no `additionalProperties:
 * false` (not allowed in a structural schema; unknown fields are refused by strict field validation).
 */
import type { TSchema } from 'typebox';

/** A JSON schema node as plain data. */
export type JsonSchema = { [key: string]: unknown };

// Keywords the CRD may carry; anything else (TypeBox internals) is dropped.
const KEPT = new Set([
  'type', 'description', 'default', 'enum', 'format', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength',
  'minItems', 'maxItems', 'maxProperties', 'minProperties', 'required', 'properties', 'items', 'additionalProperties',
  'x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
]);

/** The structural schema of `schema`. */
export function toOpenApi(schema: TSchema | JsonSchema): JsonSchema {
  const src = JSON.parse(JSON.stringify(schema)) as JsonSchema;
  return convert(src);
}

function convert(s: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  if ('const' in s) {
    out.type = typeof s.const;
    out.enum = [s.const];
  }
  if (Array.isArray(s.anyOf)) {
    const members = s.anyOf as JsonSchema[];
    if (!members.every((m) => 'const' in m)) throw new Error(`only unions of literals map to a structural schema, got ${JSON.stringify(s)}`);
    out.type = typeof members[0]?.const;
    out.enum = members.map((m) => m.const);
  }
  if (Array.isArray(s.enum) && s.type === undefined) out.type = typeof s.enum[0];
  for (const [k, v] of Object.entries(s)) {
    if (!KEPT.has(k)) continue;
    if (k === 'properties') {
      out.properties = Object.fromEntries(Object.entries(v as Record<string, JsonSchema>).map(([p, ps]) => [p, convert(ps)]));
    } else if (k === 'items') {
      out.items = convert(v as JsonSchema);
    } else if (k === 'additionalProperties') {
      if (typeof v === 'object' && v !== null) out.additionalProperties = convert(v as JsonSchema);
    } else if (k === 'required') {
      if ((v as string[]).length > 0) out.required = v;
    } else {
      out[k] = v;
    }
  }
  expandDefault(out);
  if (s.patternProperties !== undefined) {
    const values = Object.values(s.patternProperties as Record<string, JsonSchema>);
    if (values.length !== 1) throw new Error('a record must have exactly one value schema');
    out.additionalProperties = convert(values[0] as JsonSchema);
  }
  return out;
}

// The API server validates an object's `default` as written, without applying the defaults of its
// fields, so `default: {}` must be spelled out with every nested default (children come converted first).
function expandDefault(out: JsonSchema): void {
  const d = out.default;
  if (d === null || typeof d !== 'object' || Array.isArray(d) || out.properties === undefined) return;
  const filled: Record<string, unknown> = { ...(d as Record<string, unknown>) };
  for (const [k, p] of Object.entries(out.properties as Record<string, JsonSchema>)) {
    if (filled[k] === undefined && p.default !== undefined) filled[k] = p.default;
  }
  out.default = filled;
}
