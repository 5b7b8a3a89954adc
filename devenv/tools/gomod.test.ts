import { describe, expect, it } from 'vitest';
import { parseGoMod, resolveReplaces, wrapperGoMod } from './gomod.ts';

const KUBE_LIKE = `module k8s.io/kubernetes

go 1.25.0

require (
	k8s.io/api v0.0.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api // staging
	k8s.io/client-go => ./staging/src/k8s.io/client-go
)
replace github.com/golang/protobuf => github.com/golang/protobuf v1.5.4
replace go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY
`;

describe('parseGoMod', () => {
  it('reads the go line and block and single-line replaces, ignoring comments', () => {
    const mod = parseGoMod(KUBE_LIKE);
    expect(mod.goVersion).toBe('1.25.0');
    expect(mod.replaces).toEqual([
      { from: 'k8s.io/api', to: './staging/src/k8s.io/api' },
      { from: 'k8s.io/client-go', to: './staging/src/k8s.io/client-go' },
      { from: 'github.com/golang/protobuf', to: 'github.com/golang/protobuf', toVersion: 'v1.5.4' },
      { from: 'go.etcd.io/etcd', to: './FORBIDDEN_DEPENDENCY' },
    ]);
  });

  it('rejects a replace without a target', () => {
    expect(() => parseGoMod('replace foo =>\n')).toThrow(/expected 'old => new'/);
  });
});

describe('resolveReplaces', () => {
  const replaces = parseGoMod(KUBE_LIKE).replaces;

  it('maps local dirs to published versions by longest prefix, keeps module replaces, drops guards', () => {
    expect(resolveReplaces(replaces, { 'k8s.io/': 'v0.35.4', 'go.etcd.io/etcd': 'drop' })).toEqual([
      { from: 'k8s.io/api', to: 'k8s.io/api', toVersion: 'v0.35.4' },
      { from: 'k8s.io/client-go', to: 'k8s.io/client-go', toVersion: 'v0.35.4' },
      { from: 'github.com/golang/protobuf', to: 'github.com/golang/protobuf', toVersion: 'v1.5.4' },
    ]);
  });

  it('names the unmapped module and the file to fix', () => {
    expect(() => resolveReplaces(replaces, { 'k8s.io/': 'v0.35.4' })).toThrow(/go\.etcd\.io\/etcd.*versions\.json/);
  });
});

describe('wrapperGoMod', () => {
  it('requires the module at its version and carries the replaces', () => {
    const text = wrapperGoMod({
      module: 'k8s.io/kubernetes',
      version: 'v1.35.4',
      goVersion: '1.25.0',
      replaces: [{ from: 'k8s.io/api', to: 'k8s.io/api', toVersion: 'v0.35.4' }],
    });
    expect(text).toContain('go 1.25.0\n');
    expect(text).toContain('require k8s.io/kubernetes v1.35.4\n');
    expect(text).toContain('\tk8s.io/api => k8s.io/api v0.35.4\n');
  });
});
