import { describe, expect, it } from 'vitest';
import { formatProblem } from './problem.ts';
import { diffPaths, staleProblems } from './stale.ts';

describe('diffPaths', () => {
  it.each([
    [{ a: 1 }, { a: 1 }, []],
    [{ spec: { x: 1, y: 2 } }, { spec: { x: 1, y: 3 } }, ['spec.y']],
    [{ l: [1, 2] }, { l: [1, 3] }, ['l[1]']],
    [{ a: 1 }, { b: 1 }, ['a', 'b']],
    [{ a: { b: 1 } }, { a: [1] }, ['a']],
    [1, 2, ['-']],
  ])('%j vs %j -> %j', (a, b, want) => {
    expect(diffPaths(a, b)).toEqual(want);
  });

  it('stops at the limit', () => {
    expect(diffPaths({ a: 1, b: 1, c: 1, d: 1 }, {}, '', 2)).toEqual(['a', 'b']);
  });
});

describe('staleProblems', () => {
  const fix = 'run `cdk8s synth` and commit the result';
  const fn = 'kind: WasmFunction\nmetadata:\n  name: echo\n  namespace: functions\nspec:\n  x: 1\n';
  it('is quiet when every file matches byte for byte', () => {
    expect(staleProblems([{ path: 'clusters/a/f.yaml', content: fn }], [{ path: 'clusters/a/f.yaml', content: fn }], 'gitops', fix)).toEqual([]);
  });

  it('names missing, extra, edited and reformatted files', () => {
    const rendered = [
      { path: 'clusters/a/missing.yaml', content: fn },
      { path: 'clusters/a/edited.yaml', content: fn },
      { path: 'clusters/a/reformatted.yaml', content: fn },
    ];
    const committed = [
      { path: 'clusters/a/edited.yaml', content: fn.replace('x: 1', 'x: 2') },
      { path: 'clusters/a/reformatted.yaml', content: `${fn}\n` },
      { path: 'clusters/a/extra.yaml', content: fn },
    ];
    const problems = staleProblems(rendered, committed, 'gitops', fix);
    expect(problems.map((p) => [p.file, p.object, p.field])).toEqual([
      ['gitops/clusters/a/missing.yaml', 'WasmFunction functions/echo', '-'],
      ['gitops/clusters/a/edited.yaml', 'WasmFunction functions/echo', 'spec.x'],
      ['gitops/clusters/a/reformatted.yaml', 'WasmFunction functions/echo', '-'],
      ['gitops/clusters/a/extra.yaml', 'WasmFunction functions/echo', '-'],
    ]);
    // Re-rendering fixes the first three; only deleting removes the fourth.
    expect(problems.map((p) => p.message.endsWith(fix))).toEqual([true, true, true, false]);
    expect(problems[3]?.message).toContain('delete it');
  });

  it('names the object inside a file of several, as a plain cdk8s App renders one file per chart', () => {
    const cm = (name: string, v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;
    const rendered = [{ path: 'edge.k8s.yaml', content: `${cm('a', '1')}---\n${cm('b', '1')}---\n${cm('c', '1')}` }];
    const committed = [{ path: 'edge.k8s.yaml', content: `${cm('a', '1')}---\n${cm('b', '2')}---\n${cm('d', '1')}` }];
    expect(staleProblems(rendered, committed, 'dist', fix).map((p) => [p.object, p.field])).toEqual([
      ['ConfigMap b', 'data.v'],
      ['ConfigMap c', '-'],
      ['ConfigMap d', '-'],
    ]);
    expect(staleProblems(rendered, [{ path: 'edge.k8s.yaml', content: 'a: [' }], 'dist', fix).map((p) => [p.object, p.field])).toEqual([['-', '-']]);
  });
});

describe('formatProblem', () => {
  it('keeps a multi-line cause on one line', () => {
    expect(formatProblem({ file: 'f.yaml', object: '-', field: '-', message: 'invalid YAML:\n  at line 1\n' })).toBe('f.yaml: -: -: invalid YAML: at line 1');
  });
});
