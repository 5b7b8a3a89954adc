/**
 * `flotilla check` end to end: read the committed GitOps tree, re-render the fleet in memory, then
 * the three checks. Returns every problem (never stops at the first), sorted by file.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildFleet } from '../../clusters/fleet.ts';
import { listFiles, renderApp } from '../../constructs/index.ts';
import type { CheckProblem } from './problem.ts';
import { CheckError } from './problem.ts';
import { schemaProblems } from './schema.ts';
import type { ParsedDoc } from './schema.ts';
import { signatureProblems } from './signatures.ts';
import type { RegistryContext } from './signatures.ts';
import { staleProblems } from './stale.ts';
import type { GitopsFile } from './stale.ts';

export interface CheckOptions {
  /** The rendered GitOps tree (holds clusters/ and argocd/). */
  readonly gitopsDir: string;
  /** Paths in messages are relative to this (the repository root). */
  readonly baseDir: string;
  /** Compare with a fresh render of clusters/ (off for a tree that this checkout's fleet code did not render). */
  readonly stale: boolean;
  /** Resolve and verify every module reference (off: no network). */
  readonly registry: RegistryContext | undefined;
  /** Progress lines on stderr. */
  readonly log: (line: string) => void;
}

async function readTree(dir: string): Promise<GitopsFile[]> {
  let paths: string[];
  try {
    paths = await listFiles(dir);
  } catch (cause) {
    throw new CheckError('GitopsUnreadable', `cannot read the GitOps tree ${dir}: ${(cause as Error).message}; pass --gitops <dir> (the folder holding clusters/ and argocd/)`, { cause });
  }
  return Promise.all(paths.filter((p) => /^(clusters|argocd)\//.test(p)).map(async (p) => ({ path: p, content: await readFile(join(dir, p), 'utf8') })));
}

/** Runs every check and returns the problems found. */
export async function runCheck(opts: CheckOptions): Promise<CheckProblem[]> {
  const rel = relative(opts.baseDir, opts.gitopsDir);
  // Outside the base dir, the absolute path reads better than a chain of ../
  const root = rel === '' ? '.' : rel.startsWith('..') ? opts.gitopsDir : rel;
  const committed = await readTree(opts.gitopsDir);
  const problems: CheckProblem[] = [];

  if (opts.stale) {
    const t = performance.now();
    try {
      problems.push(...staleProblems(renderApp(buildFleet()), committed, root));
    } catch (err) {
      problems.push({ file: 'clusters/', object: '-', field: '-', message: `the fleet code does not render: ${(err as Error).message}` });
    }
    opts.log(`rendered output compared with a fresh render (${Math.round(performance.now() - t)} ms)`);
  }

  const t = performance.now();
  const yamlFiles = committed.filter((f) => /\.ya?ml$/.test(f.path)).map((f) => ({ path: `${root}/${f.path}`, content: f.content }));
  const { docs, checked, problems: schema } = schemaProblems(yamlFiles);
  problems.push(...schema);
  opts.log(`${checked} flotilla.dev objects checked against the CRD schemas (${Math.round(performance.now() - t)} ms)`);

  if (opts.registry !== undefined) {
    const t2 = performance.now();
    const clusters = new Map<string, ParsedDoc[]>();
    const prefix = `${root}/clusters/`;
    for (const d of docs) {
      if (!d.file.startsWith(prefix)) continue;
      const name = d.file.slice(prefix.length).split('/')[0] ?? '';
      clusters.set(name, [...(clusters.get(name) ?? []), d]);
    }
    problems.push(...(await signatureProblems(clusters, opts.registry)));
    opts.log(`module references resolved and verified for ${clusters.size} cluster(s) (${Math.round(performance.now() - t2)} ms)`);
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.object.localeCompare(b.object) || a.field.localeCompare(b.field));
}
