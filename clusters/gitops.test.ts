// The committed gitops/ tree must be exactly what the fleet code renders (rendered-manifests pattern).
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseManifests } from '../api/index.ts';
import { listFiles, renderApp, writeRendered } from '../constructs/index.ts';
import { renderChart } from './chart.ts';
import { CLUSTERS, buildFleet } from './fleet.ts';

const GITOPS = fileURLToPath(new URL('../gitops/', import.meta.url));

describe('gitops/', () => {
  it('is up to date with clusters/*.ts (run `npm run synth` and commit)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'flotilla-synth-'));
    await writeRendered(tmp, [...renderApp(buildFleet()), ...renderChart()]);
    const fresh = await listFiles(tmp);
    expect(await listFiles(GITOPS)).toEqual(fresh);
    for (const f of fresh) expect(await readFile(join(GITOPS, f), 'utf8'), f).toBe(await readFile(join(tmp, f), 'utf8'));
  });

  it('has at least three clusters that differ', async () => {
    expect(CLUSTERS.length).toBeGreaterThanOrEqual(3);
    const functions = new Set<string>();
    for (const c of CLUSTERS) {
      const files = (await listFiles(join(GITOPS, 'clusters', c.name))).filter((f) => f.startsWith('wasm'));
      functions.add(files.join(','));
    }
    expect(functions.size).toBe(CLUSTERS.length);
  });

  it.each(CLUSTERS.map((c) => [c.name]))('clusters/%s reads back through parseManifests', async (name) => {
    const dir = join(GITOPS, 'clusters', name);
    const texts = await Promise.all((await listFiles(dir)).map((f) => readFile(join(dir, f), 'utf8')));
    const objs = parseManifests(texts.join('\n---\n'), name);
    expect(objs.filter((o) => o.kind === 'WasmFunction').length).toBeGreaterThanOrEqual(2);
  });
});
