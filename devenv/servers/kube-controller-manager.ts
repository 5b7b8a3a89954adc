/**
 * kube-controller-manager against the harness apiserver. Without it a deleted namespace stays
 * Terminating forever, owner references never garbage-collect, and new namespaces get no `default`
 * ServiceAccount: tests of cleanup and ownership would pass or fail for the wrong reason.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import type { KubeApiServer } from './kube-apiserver.ts';
import { freePort, httpsReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';

export async function startKubeControllerManager(dir: string, logDir: string, api: KubeApiServer): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  return startServer({
    name: 'kube-controller-manager',
    command: toolPath('kube-controller-manager'),
    args: [
      `--kubeconfig=${api.kubeconfig}`,
      `--authentication-kubeconfig=${api.kubeconfig}`,
      `--authorization-kubeconfig=${api.kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${dir}`,
      '--leader-elect=false',
      '--use-service-account-credentials=false',
      `--service-account-private-key-file=${api.pki.saPrivateKeyFile}`,
      `--root-ca-file=${api.caFile}`,
      '--controllers=*',
    ],
    logFile: join(logDir, 'kube-controller-manager.log'),
    // Its serving cert is self-signed into --cert-dir; /healthz is always allowed.
    ready: () => httpsReady(`https://127.0.0.1:${port}/healthz`),
    timeoutMs: 120_000,
  });
}
