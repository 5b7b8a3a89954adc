import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupByKind, loadManifestDir, parseManifests } from './manifests.ts';
import { ManifestError } from './manifest-error.ts';
import { MODULE_REF } from './testdata/bad-inputs.ts';

const FN = `apiVersion: flotilla.dev/v1alpha1
kind: WasmFunction
metadata: { name: echo, namespace: edge }
spec:
  module: { ref: "${MODULE_REF}" }
`;
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: x }
spec: {}
`;
const ROUTE = `apiVersion: flotilla.dev/v1alpha1
kind: FunctionRoute
metadata: { name: echo }
spec: { host: echo.example, backends: [{ functionRef: echo, weight: 100 }] }
`;

describe('parseManifests', () => {
  it('returns defaulted Flotilla objects and skips other kinds', () => {
    const objs = parseManifests(`${FN}---\n${DEPLOYMENT}---\n${ROUTE}`);
    const g = groupByKind(objs);
    expect(g.functions.map((f) => f.spec.limits.memoryPages)).toEqual([256]);
    expect(g.routes.map((r) => r.spec.pathPrefix)).toEqual(['/']);
    expect(g.runtimes).toEqual([]);
  });

  it('lists every invalid document with source and field', () => {
    const bad = FN.replace(MODULE_REF, 'r.example/x:latest');
    try {
      parseManifests(`${bad}---\n${ROUTE.replace('weight: 100', 'weight: 30')}---\nkind: [`, 'cluster.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ManifestError);
      const e = err as ManifestError;
      expect(e.code).toBe('InvalidManifest');
      expect(e.issues.map((i) => [i.document, i.path])).toEqual([
        [0, 'spec.module.ref'],
        [1, 'spec.backends'],
        [2, ''],
      ]);
      expect(e.message).toContain('cluster.yaml#0');
    }
  });

  it('refuses an unknown kind of our group', () => {
    expect(() => parseManifests('apiVersion: flotilla.dev/v1alpha1\nkind: WasmThing\nmetadata: {name: x}\n')).toThrow(/not a flotilla.dev\/v1alpha1 kind/);
  });
});

describe('loadManifestDir', () => {
  it('reads nested YAML files in sorted order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-manifests-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'b-route.yaml'), ROUTE);
    await writeFile(join(dir, 'sub', 'a.yml'), FN);
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const objs = await loadManifestDir(dir);
    expect(objs.map((o) => o.kind)).toEqual(['FunctionRoute', 'WasmFunction']);
  });

  it('says which directory it cannot read', async () => {
    await expect(loadManifestDir('/nonexistent/flotilla')).rejects.toMatchObject({ code: 'ManifestDirUnreadable' });
  });
});
