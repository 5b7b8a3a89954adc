/** etcd for the kube-apiserver: one member, plain HTTP on loopback, data in the harness dir. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import { freePort, httpReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';

export interface Etcd extends RunningServer {
  /** Client URL, e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
}

export async function startEtcd(dir: string, logDir: string): Promise<Etcd> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  mkdirSync(dir, { recursive: true });
  const server = await startServer({
    name: 'etcd',
    command: toolPath('etcd'),
    args: [
      '--name=flotilla',
      `--data-dir=${dir}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=flotilla=${peer}`,
      // Test data is thrown away: skipping fsync makes the apiserver several times faster here.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    logFile: join(logDir, 'etcd.log'),
    ready: () => httpReady(`${endpoint}/health`),
  });
  return { ...server, endpoint };
}
