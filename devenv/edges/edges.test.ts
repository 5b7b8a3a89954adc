// The package-edge check (npm run lint:edges) run for real on a copy of the tree: clean it passes,
// with planted forbidden imports it fails naming each rule and file. Plus: the doc shows the data.
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURE_DOC, renderLayout, withSection } from './render.ts';
import { ROOMS, ROOM_NAMES } from './rooms.ts';

const ROOT = join(import.meta.dirname, '../..');
// What dependency-cruiser reads: the config, the script, and every importable file of the rooms.
const ROOT_FILES = ['package.json', '.npmrc', '.dependency-cruiser.ts'];
const IMPORTABLE = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json']);

describe('docs/architecture.md', () => {
  it('shows the layout table and graph generated from rooms.ts (npm run docs:edges rewrites it)', async () => {
    const doc = await readFile(ARCHITECTURE_DOC, 'utf8');
    expect(withSection(doc, renderLayout())).toBe(doc);
  });
});

describe('the rooms', () => {
  it('import only rooms listed before them, unit tests included, so no two rooms form a cycle', () => {
    for (const [i, room] of ROOM_NAMES.entries()) {
      const { mayImport, testsMayAlsoImport } = ROOMS[room];
      const later = [...mayImport, ...(testsMayAlsoImport?.rooms ?? [])].filter((r) => ROOM_NAMES.indexOf(r) >= i);
      expect(later, `${room}/ imports rooms listed at or after it`).toEqual([]);
    }
  });
});

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

/** Runs the repo's lint:edges script in `dir`; the violations from its `err` output. */
async function lintEdges(dir: string): Promise<{ exitCode: number | undefined; violations: Violation[]; output: string }> {
  const r = await execa('npm', ['run', '--silent', 'lint:edges'], { cwd: dir, reject: false, all: true });
  const output = r.all ?? '';
  const violations = [...output.matchAll(/^\s*error (\S+): (\S+) → (\S+)$/gm)].map(([, rule = '', from = '', to = '']) => ({ rule, from, to }));
  return { exitCode: r.exitCode, violations, output };
}

describe('npm run lint:edges on a copy of the tree', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-edges-'));
    for (const f of ROOT_FILES) await cp(join(ROOT, f), join(dir, f));
    for (const top of new Set(ROOM_NAMES.map((r) => r.split('/')[0] ?? r))) {
      await cp(join(ROOT, top), join(dir, top), { recursive: true, filter: (src) => !src.includes('node_modules') && (extname(src) === '' || IMPORTABLE.has(extname(src))) });
    }
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes on the unmodified copy', async () => {
    const r = await lintEdges(dir);
    expect(r.output).toContain('no dependency violations found');
    expect(r.exitCode).toBe(0);
  });

  it('fails on planted forbidden imports, naming each rule and file, and lets a test exception through', async () => {
    const plant = async (file: string, text: string): Promise<void> => writeFile(join(dir, file), text);
    await plant('operator/planted-target.ts', 'export const x = 1;\n');
    await plant('test/planted-target.ts', 'export type X = number;\n');
    await plant('node-runtime/cluster/planted.ts', "export { x } from '../../operator/planted-target.ts';\n");
    await plant('kube/planted.ts', "export type { X } from '../test/planted-target.ts';\n");
    await plant('api/planted.ts', "export type { App } from 'cdk8s';\n");
    // constructs/ unit tests may import devenv/tools/ (an exception in rooms.ts); its other files may not.
    await plant('devenv/tools/planted-target.ts', 'export const x = 1;\n');
    await plant('constructs/planted.ts', "export { x } from '../devenv/tools/planted-target.ts';\n");
    await plant('constructs/planted.test.ts', "export { x } from '../devenv/tools/planted-target.ts';\n");

    const r = await lintEdges(dir);
    expect(r.exitCode, r.output).not.toBe(0);
    expect(r.violations).toEqual(
      expect.arrayContaining([
        { rule: 'room-node-runtime', from: 'node-runtime/cluster/planted.ts', to: 'operator/planted-target.ts' },
        { rule: 'room-kube', from: 'kube/planted.ts', to: 'test/planted-target.ts' },
        { rule: 'room-api-packages', from: 'api/planted.ts', to: expect.stringMatching(/^node_modules\/cdk8s\//) as string },
        { rule: 'room-constructs', from: 'constructs/planted.ts', to: 'devenv/tools/planted-target.ts' },
      ]),
    );
    expect(r.violations).toHaveLength(4);
  });
});
