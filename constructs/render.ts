/**
 * Deterministic rendering of an app into the GitOps tree: one YAML file per resource, stable file
 * names, sorted keys, sync-wave annotations, no namespace on cluster-scoped kinds. Validation runs
 * first and reports every problem of every construct at once.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { App } from 'cdk8s';
import { Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { ConstructError } from './errors.ts';
import { CLUSTER_SCOPED, syncWave } from './sync-waves.ts';

/** A chart that knows where in the GitOps tree its files go (e.g. clusters/edge-a). */
export interface RenderTarget {
  readonly outputDir: string;
}

/** One rendered file, relative to the GitOps root. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } };

function validateAll(app: App): void {
  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((e) => `[${c.node.path}] ${e}`));
  if (errors.length > 0) throw new ConstructError('InvalidFleet', `${errors.length} problem(s) across the fleet; fix them and synth again:\n  ${errors.join('\n  ')}`);
}

function fileName(o: K8sObject): string {
  const scope = o.metadata.namespace ?? 'cluster';
  return `${o.kind.toLowerCase()}_${scope}_${o.metadata.name}.yaml`;
}

/** Renders every chart of `app` that is a RenderTarget. */
export function renderApp(app: App): RenderedFile[] {
  validateAll(app);
  const files: RenderedFile[] = [];
  const seen = new Set<string>();
  for (const chart of app.node.children.filter((c): c is Chart & RenderTarget => Chart.isChart(c) && 'outputDir' in c)) {
    for (const raw of chart.toJson() as K8sObject[]) {
      const o = structuredClone(raw);
      if (CLUSTER_SCOPED.has(o.kind)) delete o.metadata.namespace;
      o.metadata.annotations = { ...o.metadata.annotations, 'argocd.argoproj.io/sync-wave': String(syncWave(o.kind)) };
      const path = join(chart.outputDir, fileName(o));
      if (seen.has(path)) throw new ConstructError('InvalidFleet', `two objects render to ${path}: ${o.kind} ${o.metadata.name} is declared twice in chart ${chart.node.path}`);
      seen.add(path);
      files.push({ path, content: stringify(o, { sortMapEntries: true, lineWidth: 0 }) });
    }
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Replaces the rendered directories under `root` with `files` (stale files disappear). */
export async function writeRendered(root: string, files: readonly RenderedFile[]): Promise<void> {
  const tops = new Set(files.map((f) => f.path.split('/')[0] as string));
  for (const top of tops) await rm(join(root, top), { recursive: true, force: true });
  for (const f of files) {
    await mkdir(dirname(join(root, f.path)), { recursive: true });
    await writeFile(join(root, f.path), f.content);
  }
}

/** Every file under `dir`, relative to it, sorted (for the staleness check). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}
