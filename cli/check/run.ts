/**
 * `flotilla check` end to end: read the committed render, render afresh with the repository's own
 * command and compare, then the schema, route auth (api/route-auth.ts) and signature checks. Returns every problem (never stops at
 * the first), sorted by file.
 */
import type { CheckProblem } from './problem.ts';
import { CheckError } from './problem.ts';
import { readTree, renderFresh } from './render.ts';
import { routeAuthProblems } from './route-auth.ts';
import { schemaProblems } from './schema.ts';
import type { ParsedDoc } from './schema.ts';
import { signatureProblems } from './signatures.ts';
import type { RegistryContext } from './signatures.ts';
import { shortPath } from './sources.ts';
import type { Sources } from './sources.ts';
import { staleProblems } from './stale.ts';
import type { GitopsFile } from './stale.ts';

export interface CheckOptions {
  /** The committed render, and how to render afresh. */
  readonly sources: Sources;
  /** Paths in messages are relative to this (the working directory). */
  readonly baseDir: string;
  /** Resolve and verify every module reference (off: no network). */
  readonly registry: RegistryContext | undefined;
  /** Progress lines on stderr. */
  readonly log: (line: string) => void;
}

async function readCommitted(sources: Sources): Promise<GitopsFile[]> {
  try {
    return await readTree(sources.gitopsDir);
  } catch (cause) {
    const render = sources.rerun === undefined ? '' : `render it (${sources.rerun}), `;
    throw new CheckError('GitopsUnreadable', `cannot read the rendered manifests ${sources.gitopsDir} (${sources.gitopsOrigin}): ${(cause as Error).message}; ${render}fix the path, or pass --gitops <dir>`, { cause });
  }
}

// A cluster is a clusters/<name>/ folder, the layout Flotilla's constructs render; the rest of the
// tree (all of it for cdk8s's flat dist/) is one more, so its functions are verified too.
function clusterOf(path: string): string {
  return /^clusters\/([^/]+)\//.exec(path)?.[1] ?? '.';
}

/** Runs every check and returns the problems found. */
export async function runCheck(opts: CheckOptions): Promise<CheckProblem[]> {
  const { sources } = opts;
  const root = shortPath(opts.baseDir, sources.gitopsDir);
  const committed = await readCommitted(sources);
  const problems: CheckProblem[] = [];

  if (sources.fresh !== undefined) {
    const t = performance.now();
    const fresh = await renderFresh(sources.fresh);
    problems.push(...staleProblems(fresh, committed, root, `run ${sources.fresh.rerun} and commit the result`));
    opts.log(`${root}: ${committed.length} files compared with the ${fresh.length} that ${sources.fresh.origin} renders (${Math.round(performance.now() - t)} ms)`);
  }

  const t = performance.now();
  // A Helm chart in the tree (a folder with Chart.yaml) holds templates, not manifests: `helm lint` judges those.
  const charts = committed.filter((f) => f.path === 'Chart.yaml' || f.path.endsWith('/Chart.yaml')).map((f) => f.path.slice(0, -'Chart.yaml'.length));
  const inChart = (path: string) => charts.some((dir) => path.startsWith(dir));
  const yamlFiles = committed.filter((f) => /\.ya?ml$/.test(f.path) && !inChart(f.path)).map((f) => ({ path: `${root}/${f.path}`, content: f.content }));
  const { docs, checked, problems: schema } = schemaProblems(yamlFiles);
  problems.push(...schema, ...routeAuthProblems(docs));
  opts.log(`${checked} flotilla.dev objects checked against the CRD schemas (${Math.round(performance.now() - t)} ms)`);

  if (opts.registry !== undefined) {
    const t2 = performance.now();
    const clusters = new Map<string, ParsedDoc[]>();
    for (const d of docs) {
      const name = clusterOf(d.file.slice(root.length + 1));
      clusters.set(name, [...(clusters.get(name) ?? []), d]);
    }
    const functions = docs.filter((d) => d.flotilla?.kind === 'WasmFunction').length;
    problems.push(...(await signatureProblems(clusters, opts.registry)));
    opts.log(`module references of ${functions} WasmFunction(s) resolved and verified (${Math.round(performance.now() - t2)} ms)`);
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.object.localeCompare(b.object) || a.field.localeCompare(b.field));
}
