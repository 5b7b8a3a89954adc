/**
 * A kube control-plane component (kube-controller-manager, kube-scheduler) against the harness
 * apiserver: the admin kubeconfig for its client, authentication and authorization, serving on a
 * free loopback port with a self-signed cert in `dir`, one instance per run (no leader election).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import { freePort, httpsReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';

/** Starts `name` with the common flags plus `extraArgs` and waits for its /healthz (always allowed). */
export async function startKubeComponent(name: 'kube-controller-manager' | 'kube-scheduler', dir: string, logDir: string, kubeconfig: string, extraArgs: readonly string[] = []): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  return startServer({
    name,
    command: toolPath(name),
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${dir}`,
      // One per run: a lease would only add a wait before it starts working.
      '--leader-elect=false',
      ...extraArgs,
    ],
    logFile: join(logDir, `${name}.log`),
    ready: () => httpsReady(`https://127.0.0.1:${port}/healthz`),
    port,
    timeoutMs: 120_000,
  });
}
