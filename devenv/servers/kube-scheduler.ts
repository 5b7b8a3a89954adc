/**
 * kube-scheduler against the harness apiserver, as the admin: without it a Pod with no nodeName
 * stays Pending on a cluster that has real nodes.
 */
import { startKubeComponent } from './kube-component.ts';
import type { RunningServer } from './process.ts';
import type { KubeInfo } from './types.ts';

/** Starts kube-scheduler and waits for its /healthz. */
export function startKubeScheduler(dir: string, logDir: string, api: Pick<KubeInfo, 'kubeconfig'>): Promise<RunningServer> {
  return startKubeComponent('kube-scheduler', dir, logDir, api.kubeconfig);
}
