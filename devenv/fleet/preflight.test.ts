import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLEET_TOOLS, probeFile, toolProblems, toolsMessage, wantedTools } from './preflight.ts';
import type { Found } from './preflight.ts';

describe('toolProblems', () => {
  const cases: { name: string; found: Found | 'unresolved'; expected: string | undefined }[] = [
    { name: 'an executable passes', found: 'executable', expected: undefined },
    { name: 'nothing at the path', found: 'missing', expected: 'etcd: expected an executable at /t/etcd-v1/etcd, found nothing there' },
    { name: 'a file without x', found: 'not-executable', expected: 'etcd: expected /t/etcd-v1/etcd to be executable, it is not (mode lacks x)' },
    { name: 'a directory', found: 'not-a-file', expected: 'etcd: expected an executable file at /t/etcd-v1/etcd, found a directory' },
    { name: 'not on PATH', found: 'unresolved', expected: "etcd: expected 'etcd' on PATH" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const wanted = c.found === 'unresolved' ? [{ tool: 'etcd', unresolved: "expected 'etcd' on PATH" }] : [{ tool: 'etcd', path: '/t/etcd-v1/etcd' }];
      expect(toolProblems(wanted, () => (c.found === 'unresolved' ? 'executable' : c.found))).toEqual(c.expected === undefined ? [] : [c.expected]);
    });
  }

  it('reports every problem, in order, not only the first', () => {
    const probe = (p: string): Found => (p.includes('ok') ? 'executable' : 'missing');
    expect(toolProblems([{ tool: 'a', path: '/x/a' }, { tool: 'b', path: '/ok/b' }, { tool: 'c', path: '/x/c' }], probe).map((l) => l.split(':')[0])).toEqual(['a', 'c']);
  });
});

describe('toolsMessage', () => {
  it('names the problems, the tools dir (and where it came from) and the fix', () => {
    const msg = toolsMessage(['etcd: expected an executable at /t/etcd-v1/etcd, found nothing there'], '/t', true);
    expect(msg).toMatch(/^a tool is missing:\netcd: expected/);
    expect(msg).toContain('/t (FLOTILLA_TOOLS_DIR)');
    expect(msg).toContain('`npm run setup`');
    expect(toolsMessage(['a', 'b'], '/t', false)).toMatch(/^2 tools are missing:\na\nb\n/);
  });
});

describe('probeFile', () => {
  it('tells an executable from nothing, a dangling link, a non-executable file and a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-preflight-'));
    writeFileSync(join(dir, 'exe'), '#!/bin/sh\n');
    chmodSync(join(dir, 'exe'), 0o755);
    writeFileSync(join(dir, 'plain'), 'x');
    chmodSync(join(dir, 'plain'), 0o644);
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
    expect(['exe', 'nothing', 'dangling', 'sub'].map((n) => probeFile(join(dir, n)))).toEqual(['executable', 'missing', 'missing', 'not-a-file']);
    // root may execute anything: the x bit is what is checked, and root passes access(X_OK) only with one set.
    expect(probeFile(join(dir, 'plain'))).toBe('not-executable');
  });
});

describe('wantedTools', () => {
  it('looks for the Go tools under FLOTILLA_TOOLS_DIR, Argo CD server names included', () => {
    const wanted = wantedTools({ ...process.env, FLOTILLA_TOOLS_DIR: '/nowhere' });
    const paths = wanted.flatMap((w) => ('path' in w ? [w.path] : []));
    expect(paths.find((p) => p.endsWith('/etcd'))).toMatch(/^\/nowhere\/etcd-v[\d.]+\/etcd$/);
    expect(paths.filter((p) => p.startsWith('/nowhere/argocd-')).map((p) => p.split('/').pop())).toEqual(['argocd', 'argocd-repo-server', 'argocd-application-controller', 'argocd-server', 'git-verify-wrapper.sh']);
  });
});

// The list is written by hand; this keeps it from drifting behind the code that runs the tools.
describe('FLEET_TOOLS', () => {
  it('covers every tool the supervisor and the harness modules it imports resolve', () => {
    const root = resolve(import.meta.dirname, '..', '..');
    const seen = new Set<string>();
    const named = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\btool(?:Path|Dir)\('([\w.-]+)'/g)) named.add(m[1] ?? '');
      for (const m of text.matchAll(/^import (?!type )[^;]*? from '(\.[^']+\.ts)';$/gm)) {
        const target = resolve(dirname(file), m[1] ?? '');
        // Example toolchains are the build step's concern (see FLEET_TOOLS).
        if (!target.startsWith(join(root, 'examples'))) visit(target);
      }
    };
    visit(join(root, 'devenv', 'fleet', 'supervisor.ts'));
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((t) => !(FLEET_TOOLS as readonly string[]).includes(t))).toEqual([]);
  });
});
