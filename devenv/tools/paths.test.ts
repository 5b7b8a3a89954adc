import { describe, expect, it } from 'vitest';
import { cargoBuildOf, goBuildOf, toolPath, toolsDir, versions } from './paths.ts';
import type { ToolName } from './paths.ts';

const ALL: readonly ToolName[] = [
  'kube-apiserver', 'kube-controller-manager', 'etcd', 'kubectl', 'cosign', 'oras', 'zot', 'referrers-registry', 'registry', 'argocd',
  'nats-server', 'mosquitto', 'redis-server', 'runc', 'clang', 'lua5.1', 'chromium', 'wrk', 'git', 'openssl', 'wasmtime',
  'kubelet', 'kube-scheduler', 'containerd', 'containerd-shim-runc-v2', 'bridge', 'host-local', 'loopback', 'portmap', 'iptables',
];

describe('versions.json', () => {
  it('pins every tool name exactly once: a Go build, a Cargo build, a Debian binary, or a reason it is unavailable', () => {
    const v = versions();
    for (const name of ALL) {
      const sources = [goBuildOf(name, v) ? 'go' : '', cargoBuildOf(name, v) ? 'cargo' : '', v.debian.binaries[name] ? 'debian' : '', v.unavailable[name] ? 'unavailable' : ''].filter(Boolean);
      expect(sources, name).toHaveLength(1);
    }
  });

  it('lists every Debian binary among the packages setup installs', () => {
    const v = versions();
    // Binary name -> package, where they differ.
    const pkg: Record<string, string> = { registry: 'docker-registry' };
    for (const tool of Object.keys(v.debian.binaries)) expect(v.debian.packages, tool).toContain(pkg[tool] ?? tool);
  });
});

describe('toolPath', () => {
  it('puts Go tools under the overridable tools dir, versioned', () => {
    const env = { FLOTILLA_TOOLS_DIR: '/opt/tools', PATH: '' };
    expect(toolsDir(env)).toBe('/opt/tools');
    expect(toolPath('etcd', env)).toMatch(/^\/opt\/tools\/etcd-v\d+\.\d+\.\d+\/etcd$/);
    expect(toolPath('wasmtime', env)).toMatch(/^\/opt\/tools\/wasmtime-\d+\.\d+\.\d+\/wasmtime$/);
  });

  it('says why an unavailable tool cannot be had', () => {
    expect(() => toolPath('zot')).toThrow(/zot is not available: .*proxy/);
  });
});
