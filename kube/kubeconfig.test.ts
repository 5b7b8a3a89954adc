import { describe, expect, it } from 'vitest';
import { findKubeConfig } from './kubeconfig.ts';

describe('findKubeConfig', () => {
  const exists = (present: string[]) => (p: string) => present.includes(p);
  it.each([
    { name: 'flag wins', flag: '/f', env: { KUBECONFIG: '/e' }, present: ['/h/.kube/config'], want: { kind: 'file', path: '/f', from: '--kubeconfig' } },
    { name: 'first KUBECONFIG entry', env: { KUBECONFIG: ':/a:/b' }, present: [], want: { kind: 'file', path: '/a', from: 'KUBECONFIG' } },
    { name: 'default file', env: {}, present: ['/h/.kube/config'], want: { kind: 'file', path: '/h/.kube/config', from: 'default' } },
    { name: 'in-cluster', env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, present: [], want: { kind: 'in-cluster' } },
  ])('$name', ({ flag, env, present, want }) => {
    expect(findKubeConfig({ flag, env, homeDir: '/h', exists: exists(present) })).toEqual(want);
  });

  it('says what to do when nothing is found', () => {
    expect(() => findKubeConfig({ env: {}, homeDir: '/h', exists: () => false })).toThrow(/pass --kubeconfig/);
  });
});
