/**
 * Reads rendered manifests (the files under gitops/clusters/<cluster>/) into validated, defaulted,
 * typed Flotilla objects. Documents of other kinds (Deployments, CRDs, policies) are skipped: the
 * node runtime's standalone mode feeds a whole cluster directory through here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, GROUP } from './group.ts';
import { KIND_NAMES } from './kinds.ts';
import type { FlotillaKind, FlotillaObject, FunctionRoute, FunctionTrigger, WasmFunction, WasmRuntime } from './kinds.ts';
import { ManifestError } from './manifest-error.ts';
import type { ManifestIssue } from './manifest-error.ts';
import type { ValidationResult } from './validate.ts';
import { validateObject } from './validators.ts';

/** Flotilla objects of one set of manifests, by kind. */
export interface FlotillaManifests {
  readonly functions: readonly WasmFunction[];
  readonly runtimes: readonly WasmRuntime[];
  readonly triggers: readonly FunctionTrigger[];
  readonly routes: readonly FunctionRoute[];
}

/** An object and where it was read, so a duplicate can name both places. */
interface Located {
  readonly object: FlotillaObject;
  readonly source: string;
  readonly document: number;
}

/**
 * A document that means to be ours but names another apiVersion: one of our kinds under a foreign
 * apiVersion (a typo) or our group at another version. Skipping it would drop a function silently.
 */
function misversioned(o: { apiVersion?: unknown; kind?: unknown }): boolean {
  if (o.apiVersion === API_VERSION) return false;
  if (typeof o.apiVersion === 'string' && o.apiVersion.split('/')[0] === GROUP) return true;
  return (KIND_NAMES as readonly unknown[]).includes(o.kind);
}

function parseDocs(yamlText: string, source: string, issues: ManifestIssue[]): Located[] {
  const out: Located[] = [];
  parseAllDocuments(yamlText).forEach((doc, document) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) issues.push({ source, document, path: '', message: `invalid YAML: ${e.message}` });
      return;
    }
    let obj: unknown;
    try {
      obj = doc.toJS();
    } catch (err) {
      // The yaml library throws its own errors for aliases it will not expand (unresolved, or past its budget: billion laughs).
      issues.push({ source, document, path: '', message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (obj === null || obj === undefined) return;
    const o = obj as { apiVersion?: unknown; kind?: unknown };
    if (misversioned(o)) {
      issues.push({ source, document, path: 'apiVersion', message: `apiVersion ${JSON.stringify(o.apiVersion)} of kind ${JSON.stringify(o.kind)} is not served by Flotilla; expected ${API_VERSION}` });
      return;
    }
    if (o.apiVersion !== API_VERSION) return;
    if (!(KIND_NAMES as readonly unknown[]).includes(o.kind)) {
      issues.push({ source, document, path: 'kind', message: `kind ${JSON.stringify(o.kind)} is not a ${API_VERSION} kind; expected one of ${KIND_NAMES.join(', ')}` });
      return;
    }
    const result: ValidationResult<FlotillaObject> = validateObject(o.kind as FlotillaKind, obj);
    if (result.ok) out.push({ object: result.value, source, document });
    else for (const e of result.errors) issues.push({ source, document, ...e });
  });
  return out;
}

/** Two objects of one kind, namespace and name: the later one would silently replace the first. */
function duplicates(objects: readonly Located[], issues: ManifestIssue[]): void {
  const seen = new Map<string, Located>();
  for (const l of objects) {
    const { kind, metadata } = l.object;
    const key = `${kind} ${metadata.namespace ?? 'default'}/${metadata.name}`;
    const first = seen.get(key);
    if (first) issues.push({ source: l.source, document: l.document, path: 'metadata.name', message: `${key} is defined twice (first in ${first.source}#${first.document}); expected each name once per kind and namespace: rename or remove one` });
    else seen.set(key, l);
  }
}

function checked(located: Located[], issues: ManifestIssue[]): FlotillaObject[] {
  duplicates(located, issues);
  if (issues.length > 0) fail(issues);
  return located.map((l) => l.object);
}

function fail(issues: ManifestIssue[]): never {
  const lines = issues.map((i) => `${i.source}#${i.document}: ${i.message}`);
  throw new ManifestError('InvalidManifest', `${issues.length} problem(s) in the manifests; fix them and render again:\n${lines.join('\n')}`, issues);
}

/** Parses a multi-document YAML text; throws ManifestError listing every invalid document. */
export function parseManifests(yamlText: string, source = '<input>'): FlotillaObject[] {
  const issues: ManifestIssue[] = [];
  return checked(parseDocs(yamlText, source, issues), issues);
}

/** Reads every *.yaml / *.yml under `dir` (recursively, in sorted order) and parses them together. */
export async function loadManifestDir(dir: string): Promise<FlotillaObject[]> {
  let files: string[];
  try {
    files = (await readdir(dir, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch (cause) {
    throw new ManifestError('ManifestDirUnreadable', `cannot read manifest directory ${dir}: ${(cause as Error).message}; pass a rendered gitops/clusters/<cluster> directory`, [], { cause });
  }
  const issues: ManifestIssue[] = [];
  const located: Located[] = [];
  for (const f of files) located.push(...parseDocs(await readFile(join(dir, f), 'utf8'), f, issues));
  return checked(located, issues);
}

/** Splits objects by kind. */
export function groupByKind(objects: readonly FlotillaObject[]): FlotillaManifests {
  return {
    functions: objects.filter((o): o is WasmFunction => o.kind === 'WasmFunction'),
    runtimes: objects.filter((o): o is WasmRuntime => o.kind === 'WasmRuntime'),
    triggers: objects.filter((o): o is FunctionTrigger => o.kind === 'FunctionTrigger'),
    routes: objects.filter((o): o is FunctionRoute => o.kind === 'FunctionRoute'),
  };
}
