/**
 * kube-scheduler against the harness apiserver, as the admin: without it a Pod with no nodeName
 * stays Pending on a cluster that has real nodes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import { freePort, httpsReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';
import type { KubeInfo } from './types.ts';

/** Starts kube-scheduler and waits for its /healthz. */
export async function startKubeScheduler(dir: string, logDir: string, api: Pick<KubeInfo, 'kubeconfig'>): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  return startServer({
    name: 'kube-scheduler',
    command: toolPath('kube-scheduler'),
    args: [
      `--kubeconfig=${api.kubeconfig}`,
      `--authentication-kubeconfig=${api.kubeconfig}`,
      `--authorization-kubeconfig=${api.kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${dir}`,
      // One scheduler per run: a lease would only add a wait before it starts scheduling.
      '--leader-elect=false',
    ],
    logFile: join(logDir, 'kube-scheduler.log'),
    ready: () => httpsReady(`https://127.0.0.1:${port}/healthz`),
    port,
    timeoutMs: 120_000,
  });
}
