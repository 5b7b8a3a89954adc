/**
 * The runtime validator: the same checks the API server makes, in-process. Defaults are applied
 * first (as the API server does), then the structural schema (closed objects: unknown fields are
 * errors), list keys, and finally the CEL rules evaluated from the very text in the CRD.
 */
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';
import type { TSchema } from 'typebox';
import { evaluateRule, toCel } from './cel.ts';
import type { CelRule } from './rules.ts';
import type { FlotillaObject, KindDefinition } from './kinds.ts';
import { objectSchema } from './kinds.ts';
import { API_VERSION } from './group.ts';

/** One problem: where (dotted path, e.g. `spec.backends[1].weight`) and what to do. */
export interface ValidationError {
  readonly path: string;
  readonly message: string;
}

export type ValidationResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly ValidationError[] };

type Json = Record<string, unknown>;

/** The segments of a JSON pointer (RFC 6901), unescaped: a map key may hold `/` (a node report's `namespace/name`). */
function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function pointerToPath(pointer: string): string {
  return segments(pointer)
    .reduce((acc, seg) => (/^[0-9]+$/.test(seg) ? `${acc}[${seg}]` : acc === '' ? seg : `${acc}.${seg}`), '');
}

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const seg of segments(pointer)) v = (v as Json | undefined)?.[seg];
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

interface TbError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message: string;
}

function schemaAt(root: TSchema, schemaPath: string): Json {
  let s = root as unknown as Json;
  for (const seg of schemaPath.replace(/^#\/?/, '').split('/').filter((x) => x !== '')) s = (s[seg] ?? {}) as Json;
  return s;
}

function describeError(root: TSchema, value: unknown, e: TbError): ValidationError[] {
  const path = pointerToPath(e.instancePath);
  const got = valueAt(value, e.instancePath);
  const field = path === '' ? 'the object' : path;
  const schema = schemaAt(root, e.schemaPath);
  switch (e.keyword) {
    case 'required':
      return (e.params.requiredProperties as string[]).map((p) => ({ path: join(path, p), message: `${join(path, p)} is required; set it` }));
    case 'additionalProperties': {
      const known = Object.keys((schema.properties ?? {})).join(', ');
      return (e.params.additionalProperties as string[]).map((p) => ({
        path: join(path, p),
        message: `${join(path, p)} is an unknown field; remove it (known fields of ${field}: ${known})`,
      }));
    }
    case 'boolean':
      return []; // the `additionalProperties` error above already names the field
    case 'enum':
    case 'const': {
      const allowed = (e.params.allowedValues ?? [e.params.allowedValue]) as unknown[];
      return [{ path, message: `${field} must be one of ${allowed.map(show).join(', ')}, got ${show(got)}` }];
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return [{ path, message: `${field} must be ${String(e.params.comparison)} ${String(e.params.limit)}, got ${show(got)}` }];
    case 'minLength':
      return [{ path, message: `${field} must be at least ${String(e.params.limit)} characters, got ${String((got as string).length)}` }];
    case 'maxLength':
      return [{ path, message: `${field} must be at most ${String(e.params.limit)} characters, got ${String((got as string).length)}` }];
    case 'minItems':
      return [{ path, message: `${field} must have at least ${String(e.params.limit)} items, got ${String((got as unknown[]).length)}` }];
    case 'maxItems':
      return [{ path, message: `${field} must have at most ${String(e.params.limit)} items, got ${String((got as unknown[]).length)}` }];
    case 'maxProperties':
      return [{ path, message: `${field} must have at most ${String(e.params.limit)} entries` }];
    case 'pattern': {
      const hint = typeof schema.description === 'string' ? ` (${schema.description})` : '';
      return [{ path, message: `${field} must match ${String(e.params.pattern)}${hint}, got ${show(got)}` }];
    }
    case 'type':
      return [{ path, message: `${field} must be of type ${show(e.params.type)}, got ${show(got)}` }];
    case 'format':
      return [{ path, message: `${field} must be a ${String(e.params.format)}, got ${show(got)}` }];
    default:
      return [{ path, message: `${field} ${e.message}` }];
  }
}

// The value a rule points at, for the message (the CRD cannot afford messageExpressions that
// stringify integers: the API server's cost estimate treats their length as unbounded).
function gotValue(node: unknown, fieldPath: string | undefined): string {
  if (fieldPath === undefined) return '';
  let v = node;
  for (const seg of fieldPath.split('.').slice(1)) v = (v as Json | undefined)?.[seg];
  return v === undefined || (typeof v === 'object' && v !== null) ? '' : ` (got ${show(v)})`;
}

/** List keys and CEL rules, walking schema and value together. */
function walk(schema: Json, value: unknown, path: string, errors: ValidationError[]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'map' || listType === 'set') {
      const keys = (schema['x-kubernetes-list-map-keys'] ?? []) as string[];
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const key = JSON.stringify(listType === 'map' ? keys.map((k) => (item as Json)[k]) : item);
        if (seen.has(key)) errors.push({ path: `${path}[${i}]`, message: `${path}[${i}] duplicates ${listType === 'map' ? keys.join(', ') : 'value'} ${key}; each must be unique` });
        seen.add(key);
      });
    }
    const items = schema.items as Json | undefined;
    if (items !== undefined) value.forEach((item, i) => walk(items, item, `${path}[${i}]`, errors));
  } else if (value !== null && typeof value === 'object') {
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const [k, s] of Object.entries(props)) walk(s, (value as Json)[k], join(path, k), errors);
  }
  const rules = schema['x-kubernetes-validations'] as CelRule[] | undefined;
  if (rules === undefined) return;
  const self = toCel(value);
  for (const rule of rules) {
    const outcome = evaluateRule(rule, self);
    if (outcome.ok) continue;
    const at = rule.fieldPath === undefined ? path : join(path, rule.fieldPath.replace(/^\./, ''));
    const message = at === '' ? outcome.message : `${at}: ${outcome.message}`;
    errors.push({ path: at, message: rule.messageExpression === undefined ? `${message}${gotValue(value, rule.fieldPath)}` : message });
  }
}

/**
 * A validator for any schema built from these blocks: applies defaults and returns the typed value,
 * or every error at once (structural first; list keys and CEL rules once the shape is right).
 */
export function makeSchemaValidator<T>(schema: TSchema): (value: unknown) => ValidationResult<T> {
  const plain = JSON.parse(JSON.stringify(schema)) as Json;
  // Compiled once: the check runs on every node Lease the operator reads; the (slower) error walk only for a value that fails it.
  const compiled = Compile(schema);
  // A schema without defaults (a node report) has nothing to fill, so its input need not be copied first (a field named `default` only costs a copy).
  const hasDefaults = JSON.stringify(plain).includes('"default":');
  return (input) => {
    const value = hasDefaults ? Value.Default(schema, structuredClone(input)) : input;
    if (!compiled.Check(value)) {
      const structural = [...Value.Errors(schema, value)].flatMap((e) => describeError(schema, value, e as unknown as TbError));
      if (structural.length > 0) return { ok: false, errors: dedupe(structural) };
    }
    const errors: ValidationError[] = [];
    walk(plain, value, '', errors);
    return errors.length > 0 ? { ok: false, errors: dedupe(errors) } : { ok: true, value: value as T };
  };
}

/** A validator for one kind: applies defaults and returns the typed object, or every error at once. */
export function makeValidator<T extends FlotillaObject>(def: KindDefinition): (obj: unknown) => ValidationResult<T> {
  const validate = makeSchemaValidator<T>(objectSchema(def));
  return (obj) => {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return { ok: false, errors: [{ path: '', message: `expected a ${def.kind} object, got ${show(obj)}` }] };
    }
    const o = obj as Json;
    if (o.apiVersion !== API_VERSION || o.kind !== def.kind) {
      return {
        ok: false,
        errors: [{ path: 'kind', message: `expected apiVersion ${API_VERSION} kind ${def.kind}, got apiVersion ${show(o.apiVersion)} kind ${show(o.kind)}` }],
      };
    }
    return validate(obj);
  };
}

function dedupe(errors: ValidationError[]): ValidationError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.path}\n${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One line per error, for CLI output and exception messages. */
export function formatErrors(errors: readonly ValidationError[]): string {
  return errors.map((e) => `- ${e.message}`).join('\n');
}
