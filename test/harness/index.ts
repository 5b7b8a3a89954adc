/**
 * What integration and e2e tests import: the servers of this run (`harness()`), a client config
 * for the apiserver, per-test namespaces and names, and the on-demand Argo CD and git server.
 */
import { inject } from 'vitest';
import type { KubeConfig } from '@kubernetes/client-node';
import { createNamespace } from '../../devenv/servers/kube.ts';
import { loadKubeConfigFile } from '../../kube/index.ts';
import type { TestNamespace } from '../../devenv/servers/kube.ts';
import type { HarnessInfo } from '../../devenv/servers/types.ts';

export type { HarnessInfo, KubeInfo, RegistryInfo } from '../../devenv/servers/types.ts';
export type { TestNamespace } from '../../devenv/servers/kube.ts';
export { applyYaml, kubectl, uniqueName, waitForCrdsEstablished } from '../../devenv/servers/kube.ts';
export { startArgoCd } from '../../devenv/servers/argocd.ts';
export type { ArgoCd, ArgoCdOptions } from '../../devenv/servers/argocd.ts';
export { startGitServer } from '../../devenv/servers/git-server.ts';
export { waitFor } from '../../devenv/servers/wait.ts';
export type { WaitOptions } from '../../devenv/servers/wait.ts';
export { logTail } from '../../devenv/servers/process.ts';
export type { GitServer } from '../../devenv/servers/git-server.ts';

/** The shared servers of this test run (started by test/harness/global-setup.ts). */
export function harness(): HarnessInfo {
  const info = inject('harness');
  if (!info) {
    throw new Error('harness(): no servers were provided; expected this test in the integration or e2e project (vitest --project integration)');
  }
  return info;
}

/** A @kubernetes/client-node KubeConfig for the harness apiserver as the admin user. */
export function kubeConfig(): KubeConfig {
  return loadKubeConfigFile(harness().kube.kubeconfig);
}

/**
 * Creates a uniquely named namespace `<prefix>-<suffix>` labelled `flotilla.dev/test=true`.
 * Delete it when done: `afterAll(() => ns.delete())`.
 */
export function createTestNamespace(prefix: string): Promise<TestNamespace> {
  return createNamespace(kubeConfig(), prefix);
}
