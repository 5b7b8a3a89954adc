import { describe, expect, it } from 'vitest';
import { packageOf, productionPackages, resolveFrom } from './prod-deps.ts';
import type { PackageLock } from './prod-deps.ts';

const lock: PackageLock = {
  lockfileVersion: 3,
  packages: {
    '': {},
    'node_modules/app-dep': { version: '1.0.0', dependencies: { shared: '^2', nested: '^1' }, optionalDependencies: { 'fsevents-like': '^1', 'linux-only': '^1' } },
    'node_modules/app-dep/node_modules/shared': { version: '3.0.0' },
    'node_modules/shared': { version: '2.0.0' },
    'node_modules/nested': { version: '1.0.0', peerDependencies: { peer: '^1', missing: '^1' }, peerDependenciesMeta: { missing: { optional: true } } },
    'node_modules/peer': { version: '1.0.0' },
    'node_modules/fsevents-like': { version: '1.0.0', optional: true, os: ['darwin'] },
    'node_modules/linux-only': { version: '1.0.0', optional: true, os: ['linux'], cpu: ['x64'] },
    'node_modules/tool': { version: '1.0.0', dev: true },
    'node_modules/unused': { version: '1.0.0' },
  },
};

describe('productionPackages', () => {
  it('walks dependencies as Node resolves them: nested first, optional ones only for linux/x64, optional peers when present', () => {
    expect(productionPackages(lock, ['app-dep'])).toEqual([
      'node_modules/app-dep',
      'node_modules/app-dep/node_modules/shared',
      'node_modules/linux-only',
      'node_modules/nested',
      'node_modules/peer',
    ]);
  });

  it('refuses an import with no lock entry, naming the fix', () => {
    expect(() => productionPackages(lock, ['absent'])).toThrow(/expected absent in package-lock.json .*run npm install/);
  });

  it('refuses an import of a dev dependency', () => {
    expect(() => productionPackages(lock, ['tool'])).toThrow(/tool \(node_modules\/tool\) is a dev dependency.*move it to "dependencies"/);
  });

  it('refuses a lockfile older than npm 7', () => {
    expect(() => productionPackages({ lockfileVersion: 1, packages: {} }, [])).toThrow(/lockfileVersion: expected 2 or 3/);
  });
});

describe('resolveFrom', () => {
  it.each([
    ['node_modules/app-dep', 'shared', 'node_modules/app-dep/node_modules/shared'],
    ['node_modules/nested', 'shared', 'node_modules/shared'],
    ['', 'shared', 'node_modules/shared'],
    ['node_modules/app-dep/node_modules/shared', 'peer', 'node_modules/peer'],
    ['', 'absent', undefined],
  ])('from %j, %s is %j', (from, name, expected) => {
    expect(resolveFrom(lock, from, name)).toBe(expected);
  });
});

describe('packageOf', () => {
  it.each([
    ['pino', 'pino'],
    ['@kubernetes/client-node', '@kubernetes/client-node'],
    ['@sigstore/core/dist/x.js', '@sigstore/core'],
    ['typebox/compile', 'typebox'],
    ['node:fs', undefined],
    ['fs', undefined],
    ['worker_threads', undefined],
    ['./local.ts', undefined],
    ['../up.ts', undefined],
  ])('%s → %j', (specifier, expected) => {
    expect(packageOf(specifier)).toBe(expected);
  });
});
