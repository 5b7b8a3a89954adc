/**
 * kube-apiserver on a secure loopback port: generated PKI, a static admin token in
 * system:masters, RBAC authorization, service-account signing keys, and a kubeconfig that both
 * @kubernetes/client-node and kubectl accept.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { toolPath } from '../tools/paths.ts';
import { makeKubePki } from './certs.ts';
import type { KubePki } from './certs.ts';
import { freePort, httpsReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';

/** First address of SERVICE_CIDR: the `kubernetes` Service's ClusterIP, so it goes into the serving cert. */
const SERVICE_CIDR = '10.96.0.0/16';
export const SERVICE_IP = '10.96.0.1';
/** Issuer of service-account tokens; the usual in-cluster value so tooling that checks it is satisfied. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface KubeApiServer extends RunningServer {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Path of the admin kubeconfig (CA data + bearer token). */
  readonly kubeconfig: string;
  /** Admin bearer token (user `flotilla-admin`, group system:masters). */
  readonly token: string;
  readonly caFile: string;
  readonly pki: KubePki;
}

/** Kubeconfig text for `server` with a bearer token, CA inline. */
export function kubeconfigYaml(server: string, caPem: string, token: string, user = 'flotilla-admin'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'flotilla-test', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'flotilla-test', context: { cluster: 'flotilla-test', user, namespace: 'default' } }],
    'current-context': 'flotilla-test',
  });
}

export async function startKubeApiServer(dir: string, logDir: string, etcdEndpoint: string): Promise<KubeApiServer> {
  mkdirSync(dir, { recursive: true });
  const pki = makeKubePki(dir, SERVICE_IP);
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'tokens.csv');
  // Static token file format: token,user,uid,"group1,group2".
  writeFileSync(tokenFile, `${token},flotilla-admin,flotilla-admin,"system:masters"\n`, { mode: 0o600 });
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const ca = readFileSync(pki.caFile, 'utf8');

  const running = await startServer({
    name: 'kube-apiserver',
    command: toolPath('kube-apiserver'),
    args: [
      `--etcd-servers=${etcdEndpoint}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${dir}`,
      `--tls-cert-file=${pki.serverCertFile}`,
      `--tls-private-key-file=${pki.serverKeyFile}`,
      `--client-ca-file=${pki.caFile}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.saPublicKeyFile}`,
      `--service-account-signing-key-file=${pki.saPrivateKeyFile}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--allow-privileged=true',
      '--profiling=false',
    ],
    logFile: join(logDir, 'kube-apiserver.log'),
    ready: () => httpsReady(`${server}/readyz`, { ca, token }),
    // Cold start on two busy cores: CRD and RBAC bootstrap take a while.
    timeoutMs: 180_000,
  });

  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, ca, token), { mode: 0o600 });
  return { ...running, server, kubeconfig, token, caFile: pki.caFile, pki };
}
