/**
 * Rendered output not stale: what the fleet code renders now, compared file by file with what is
 * committed. Pure: both sides come in as data.
 */
import { parse } from 'yaml';
import type { CheckProblem } from './problem.ts';
import { objectName } from './problem.ts';

/** A file under the GitOps root: its path relative to that root and its text. */
export interface GitopsFile {
  readonly path: string;
  readonly content: string;
}

const FIX = 'run `npm run synth` and commit the result';

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

function safeParse(text: string): unknown {
  try {
    return parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Problems between `rendered` (what synth produces) and `committed` (what is under the GitOps root,
 * limited to the top-level folders the render owns). `root` prefixes paths in the messages.
 */
export function staleProblems(rendered: readonly GitopsFile[], committed: readonly GitopsFile[], root: string): CheckProblem[] {
  const problems: CheckProblem[] = [];
  const onDisk = new Map(committed.map((f) => [f.path, f.content]));
  const fresh = new Map(rendered.map((f) => [f.path, f.content]));
  for (const f of rendered) {
    const file = `${root}/${f.path}`;
    const have = onDisk.get(f.path);
    if (have === undefined) {
      problems.push({ file, object: objectName(safeParse(f.content)), field: '-', message: `expected this rendered file, got none; ${FIX}` });
      continue;
    }
    if (have === f.content) continue;
    const want = safeParse(f.content);
    const got = safeParse(have);
    const fields = got === undefined ? ['-'] : diffPaths(want, got);
    // Equal data with different bytes (formatting, key order) is stale too: synth is byte-for-byte.
    for (const field of fields.length > 0 ? fields : ['-']) {
      problems.push({ file, object: objectName(want), field, message: `stale: differs from what the fleet code renders; ${FIX}` });
    }
  }
  for (const f of committed) {
    if (fresh.has(f.path)) continue;
    problems.push({ file: `${root}/${f.path}`, object: objectName(safeParse(f.content)), field: '-', message: `the fleet code no longer renders this file; ${FIX} (synth removes it)` });
  }
  return problems;
}
