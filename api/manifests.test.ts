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

  it.each([
    ['a typo in the group', 'flotila.dev/v1alpha1', 'WasmFunction'],
    ['another version of our group', 'flotilla.dev/v1', 'WasmFunction'],
    ['our group, any kind', 'flotilla.dev/v2', 'Anything'],
    ['no apiVersion at all', undefined, 'FunctionRoute'],
  ])('refuses a document that means to be ours under a wrong apiVersion (%s) instead of skipping it', (_case, apiVersion, kind) => {
    const doc = `${apiVersion === undefined ? '' : `apiVersion: ${apiVersion}\n`}kind: ${kind}\nmetadata: { name: x }\n`;
    try {
      parseManifests(doc, 'fn.yaml');
      expect.unreachable();
    } catch (err) {
      const e = err as ManifestError;
      expect(e.issues).toEqual([expect.objectContaining({ source: 'fn.yaml', path: 'apiVersion' })]);
      expect(e.message).toMatch(/fn\.yaml#0: apiVersion .* is not served by Flotilla; expected flotilla\.dev\/v1alpha1/);
    }
  });

  it('still skips foreign kinds under foreign apiVersions', () => {
    expect(parseManifests(`${DEPLOYMENT}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n`)).toEqual([]);
  });

  it('refuses two objects of one kind and name in one namespace, naming both places', () => {
    expect(() => parseManifests(`${FN}---\n${ROUTE}---\n${FN}`, 'all.yaml')).toThrow(/all\.yaml#2: WasmFunction edge\/echo is defined twice \(first in all\.yaml#0\)/);
    // Same name, other kind or other namespace: distinct objects.
    expect(parseManifests(`${FN}---\n${FN.replace('namespace: edge', 'namespace: other')}---\n${ROUTE.replace('name: echo }', 'name: echo, namespace: edge }')}`)).toHaveLength(3);
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

  it('names both files of a duplicate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-manifests-'));
    await writeFile(join(dir, 'a.yaml'), FN);
    await writeFile(join(dir, 'b.yaml'), FN);
    await expect(loadManifestDir(dir)).rejects.toThrow(/b\.yaml#0: WasmFunction edge\/echo is defined twice \(first in a\.yaml#0\)/);
  });

  it('says which directory it cannot read', async () => {
    await expect(loadManifestDir('/nonexistent/flotilla')).rejects.toMatchObject({ code: 'ManifestDirUnreadable' });
  });
});
