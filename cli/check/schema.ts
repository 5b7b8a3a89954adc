/**
 * Every manifest valid against the CRD schemas: each Flotilla object is run through the validator
 * the CRD's openAPIV3Schema and CEL rules come from (api/), so what passes here the API server
 * accepts. Pure: files in, parsed objects and problems out.
 */
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KIND_NAMES, validateObject } from '../../api/index.ts';
import type { FlotillaKind, FlotillaObject } from '../../api/index.ts';
import type { CheckProblem } from './problem.ts';
import { objectName } from './problem.ts';
import type { GitopsFile } from './stale.ts';

/** A document of a file that parsed, with where it came from. */
export interface ParsedDoc {
  readonly file: string;
  readonly object: string;
  readonly value: Record<string, unknown>;
  /** Set for Flotilla kinds that validated: the defaulted object. */
  readonly flotilla?: FlotillaObject;
}

/** What schemaProblems found: the objects that parsed, how many objects were checked, the problems. */
export interface SchemaResult {
  /** Every object that parsed and, if of a Flotilla kind, validated. */
  readonly docs: ParsedDoc[];
  /** Objects of the flotilla.dev API checked against the schemas, valid or not. */
  readonly checked: number;
  readonly problems: CheckProblem[];
}

// The validator's messages start with the field they are about ("spec.x must be >= 1"); the
// problem line names it in its own column already.
function withoutField(field: string, message: string): string {
  if (field === '') return message;
  for (const sep of [': ', ' ']) if (message.startsWith(`${field}${sep}`)) return message.slice(field.length + sep.length);
  return message;
}

/** Parses every YAML file (paths already prefixed for messages) and validates the Flotilla kinds. */
export function schemaProblems(files: readonly GitopsFile[]): SchemaResult {
  const docs: ParsedDoc[] = [];
  const problems: CheckProblem[] = [];
  let checked = 0;
  for (const f of files) {
    for (const doc of parseAllDocuments(f.content)) {
      if (doc.errors.length > 0) {
        for (const e of doc.errors) problems.push({ file: f.path, object: '-', field: '-', message: `invalid YAML: ${e.message}` });
        continue;
      }
      const value = doc.toJS() as unknown;
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        problems.push({ file: f.path, object: '-', field: '-', message: `expected a Kubernetes object (a mapping), got ${Array.isArray(value) ? 'a list' : typeof value}` });
        continue;
      }
      const o = value as Record<string, unknown>;
      const object = objectName(o);
      if (o['apiVersion'] !== API_VERSION) {
        docs.push({ file: f.path, object, value: o });
        continue;
      }
      checked++;
      if (!(KIND_NAMES as readonly unknown[]).includes(o['kind'])) {
        problems.push({ file: f.path, object, field: 'kind', message: `expected one of ${KIND_NAMES.join(', ')} for ${API_VERSION}, got ${JSON.stringify(o['kind'])}` });
        continue;
      }
      const result = validateObject(o['kind'] as FlotillaKind, o);
      if (result.ok) docs.push({ file: f.path, object, value: o, flotilla: result.value });
      else for (const e of result.errors) problems.push({ file: f.path, object, field: e.path === '' ? '-' : e.path, message: withoutField(e.path, e.message) });
    }
  }
  return { docs, checked, problems };
}
