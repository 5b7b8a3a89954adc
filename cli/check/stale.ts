/**
 * Rendered output not stale: what the repository's render command produces now, compared file by
 * file, byte for byte, with what is committed. Pure: both sides come in as data.
 */
import { parseAllDocuments } from 'yaml';
import type { CheckProblem } from './problem.ts';
import { objectName } from './problem.ts';

/** A file under the GitOps root: its path relative to that root and its text. */
export interface GitopsFile {
  readonly path: string;
  readonly content: string;
}

/** Dotted paths where `a` and `b` differ (at most `limit`), depth-first in key order. */
export function diffPaths(a: unknown, b: unknown, prefix = '', limit = 3): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (out.length >= limit) return;
    if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object' && Array.isArray(x) === Array.isArray(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      for (const k of keys) {
        const p = Array.isArray(x) ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`;
        walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], p);
      }
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(path === '' ? '-' : path);
  };
  walk(a, b, prefix);
  return out;
}

// A file's objects by `Kind namespace/name`: one per file as Flotilla renders, several per file as
// a plain cdk8s App does (one file per chart). Undefined when the text is not YAML.
function objectsOf(text: string): Map<string, unknown> | undefined {
  const docs = parseAllDocuments(text);
  if (docs.some((d) => d.errors.length > 0)) return undefined;
  const out = new Map<string, unknown>();
  for (const d of docs) {
    const value = d.toJS() as unknown;
    if (value !== null && value !== undefined) out.set(objectName(value), value);
  }
  return out;
}

// The object column of a whole-file problem: its object when it holds exactly one.
function soleObject(objects: Map<string, unknown> | undefined): string {
  return objects?.size === 1 ? ([...objects.keys()][0] ?? '-') : '-';
}

/** Objects and fields where a committed file differs from its fresh render (the text differs). */
function differences(want: string, have: string): { object: string; field: string }[] {
  const fresh = objectsOf(want) ?? new Map<string, unknown>();
  const got = objectsOf(have);
  if (got === undefined) return [{ object: soleObject(fresh), field: '-' }];
  const out: { object: string; field: string }[] = [];
  for (const object of new Set([...fresh.keys(), ...got.keys()])) {
    const fields = fresh.has(object) && got.has(object) ? diffPaths(fresh.get(object), got.get(object)) : ['-'];
    for (const field of fields) out.push({ object, field });
  }
  // Equal data with different bytes (formatting, key order) is stale too: synth is byte-for-byte.
  return out.length > 0 ? out : [{ object: soleObject(fresh), field: '-' }];
}

/**
 * Problems between `rendered` (what a fresh render produces) and `committed` (what is under the
 * rendered folder). `root` prefixes paths in the messages; `fix` says how to re-render.
 */
export function staleProblems(rendered: readonly GitopsFile[], committed: readonly GitopsFile[], root: string, fix: string): CheckProblem[] {
  const problems: CheckProblem[] = [];
  const onDisk = new Map(committed.map((f) => [f.path, f.content]));
  const fresh = new Map(rendered.map((f) => [f.path, f.content]));
  for (const f of rendered) {
    const file = `${root}/${f.path}`;
    const have = onDisk.get(f.path);
    if (have === undefined) {
      problems.push({ file, object: soleObject(objectsOf(f.content)), field: '-', message: `expected this rendered file, got none; ${fix}` });
      continue;
    }
    if (have === f.content) continue;
    for (const d of differences(f.content, have)) problems.push({ file, ...d, message: `stale: differs from a fresh render; ${fix}` });
  }
  for (const f of committed) {
    if (fresh.has(f.path)) continue;
    problems.push({ file: `${root}/${f.path}`, object: soleObject(objectsOf(f.content)), field: '-', message: 'expected no such file, as a fresh render has none; delete it and commit' });
  }
  return problems;
}
