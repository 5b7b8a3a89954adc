/**
 * kube-controller-manager against the harness apiserver. Without it a deleted namespace stays
 * Terminating forever, owner references never garbage-collect, and new namespaces get no `default`
 * ServiceAccount: tests of cleanup and ownership would pass or fail for the wrong reason.
 */
import type { KubeApiServer } from './kube-apiserver.ts';
import { startKubeComponent } from './kube-component.ts';
import type { RunningServer } from './process.ts';

/** Starts kube-controller-manager with every controller and the ServiceAccount token signer; waits for its /healthz. */
export function startKubeControllerManager(dir: string, logDir: string, api: KubeApiServer): Promise<RunningServer> {
  return startKubeComponent('kube-controller-manager', dir, logDir, api.kubeconfig, [
    '--use-service-account-credentials=false',
    `--service-account-private-key-file=${api.pki.saPrivateKeyFile}`,
    `--root-ca-file=${api.caFile}`,
    '--controllers=*',
  ]);
}
