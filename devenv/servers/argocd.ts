/**
 * Argo CD on demand (it is heavy, so not part of the shared harness): its CRDs and settings in the
 * harness apiserver, redis, repo server, application controller and API server as processes on
 * loopback, and the apiserver registered as a cluster through a Secret with a bearer token.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { toolDir, toolPath } from '../tools/paths.ts';
import { applyYaml, uniqueName, waitForCrdsEstablished } from './kube.ts';
import { loadKubeConfigFile } from '../../kube/index.ts';
import { freePort, httpReady, startServer, tcpReady } from './process.ts';
import type { RunningServer } from './process.ts';

export interface ArgoCdOptions {
  /** Admin kubeconfig of the apiserver Argo CD runs against and deploys into. */
  readonly kubeconfig: string;
  /**
   * Namespace for Argo CD's own objects (Applications live here). Tests share one apiserver, so
   * each instance gets its own unless told otherwise. @default a unique `argocd-<suffix>`
   */
  readonly namespace?: string;
  /** Where data and logs go. @default a new temp dir */
  readonly workDir?: string;
  /** How often the controller re-compares every Application with Git. @default 15 */
  readonly reconcileSeconds?: number;
}

export interface ArgoCd {
  readonly namespace: string;
  /** http://127.0.0.1:<port> of argocd-server (API + UI, plain HTTP). */
  readonly serverUrl: string;
  /** 127.0.0.1:<port> of the repo server (gRPC, plaintext). */
  readonly repoServerAddress: string;
  readonly adminPassword: string;
  /** argocd-server's Git webhook endpoint (GitHub, GitLab, Gitea, Bitbucket payloads). */
  readonly webhookUrl: string;
  /** The secret GitHub-style push webhooks must be signed with (`webhook.github.secret`); unsigned ones are refused. */
  readonly webhookSecret: string;
  /** Cluster name and URL registered for Applications' `destination`. */
  readonly cluster: { readonly name: string; readonly server: string };
  readonly workDir: string;
  readonly logDir: string;
  /** Stops the processes (reverse start order) and removes the work dir unless `keep`. */
  stop(opts?: { readonly keep?: boolean }): Promise<void>;
}

interface KubeconfigFile {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token?: string } }[];
}

function adminCredentials(kubeconfig: string): { server: string; caData: string; token: string } {
  const kc = parse(readFileSync(kubeconfig, 'utf8')) as KubeconfigFile;
  const cluster = kc.clusters[0]?.cluster;
  const token = kc.users[0]?.user.token;
  if (!cluster || !token) throw new Error(`startArgoCd: expected ${kubeconfig} to hold a cluster and a token user (the harness kubeconfig), got neither`);
  return { server: cluster.server, caData: cluster['certificate-authority-data'], token };
}

/** Argo CD's settings objects: the ConfigMaps and Secret a stock install ships, filled for a test. */
function settingsManifests(namespace: string, passwordHash: string, webhookSecret: string, reconcileSeconds: number, cluster: { name: string; server: string; caData: string; token: string }): string {
  const labels = { 'app.kubernetes.io/part-of': 'argocd' };
  const cm = (name: string, data: Record<string, string> = {}): object => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { ...labels, 'app.kubernetes.io/name': name } }, data });
  const docs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    cm('argocd-cm', {
      'admin.enabled': 'true',
      // The in-cluster address (kubernetes.default.svc) means nothing to processes outside a pod.
      'cluster.inClusterEnabled': 'false',
      'timeout.reconciliation': `${reconcileSeconds}s`,
    }),
    cm('argocd-rbac-cm', { 'policy.default': '' }),
    // argocd-server creates this too, but only once it runs; the controller needs it first.
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
    },
    cm('argocd-cmd-params-cm'),
    cm('argocd-gpg-keys-cm'),
    cm('argocd-ssh-known-hosts-cm'),
    cm('argocd-tls-certs-cm'),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'argocd-secret', namespace, labels: { ...labels, 'app.kubernetes.io/name': 'argocd-secret' } },
      type: 'Opaque',
      stringData: {
        'admin.password': passwordHash,
        'admin.passwordMtime': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        'server.secretkey': randomBytes(32).toString('base64'),
        // Set, so /api/webhook accepts only GitHub-style pushes signed with it (deny by default).
        'webhook.github.secret': webhookSecret,
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `cluster-${cluster.name}`, namespace, labels: { ...labels, 'argocd.argoproj.io/secret-type': 'cluster' } },
      type: 'Opaque',
      stringData: {
        name: cluster.name,
        server: cluster.server,
        config: JSON.stringify({ bearerToken: cluster.token, tlsClientConfig: { insecure: false, caData: cluster.caData } }),
      },
    },
  ];
  return docs.map((d) => stringify(d)).join('---\n');
}

/** Starts Argo CD against the apiserver of `opts.kubeconfig`. */
export async function startArgoCd(opts: ArgoCdOptions): Promise<ArgoCd> {
  const namespace = opts.namespace ?? uniqueName('argocd');
  const bin = toolDir('argocd');
  const creds = adminCredentials(opts.kubeconfig);
  const cluster = { name: 'flotilla-test', ...creds };
  const adminPassword = randomBytes(12).toString('hex');
  const webhookSecret = randomBytes(24).toString('hex');
  const passwordHash = execFileSync(toolPath('argocd'), ['account', 'bcrypt', '--password', adminPassword], { encoding: 'utf8' }).trim();

  const crdDir = join(bin, 'crds');
  const crds = readdirSync(crdDir).filter((f) => f.endsWith('-crd.yaml')).map((f) => readFileSync(join(crdDir, f), 'utf8'));
  await applyYaml(opts.kubeconfig, crds.join('\n---\n'));
  await waitForCrdsEstablished(loadKubeConfigFile(opts.kubeconfig), ['applications.argoproj.io', 'appprojects.argoproj.io', 'applicationsets.argoproj.io']);
  await applyYaml(opts.kubeconfig, settingsManifests(namespace, passwordHash, webhookSecret, opts.reconcileSeconds ?? 15, cluster));

  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'flotilla-argocd-'));
  const logDir = join(workDir, 'logs');
  for (const d of ['logs', 'tmp', 'tls', 'ssh', 'gpg-keys', 'gnupg', 'static']) mkdirSync(join(workDir, d), { recursive: true, mode: 0o700 });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // git-verify-wrapper.sh and the argocd-* names must be on PATH for the repo server.
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    TMPDIR: join(workDir, 'tmp'),
    ARGOCD_GPG_ENABLED: 'false',
    ARGOCD_TLS_DATA_PATH: join(workDir, 'tls'),
    ARGOCD_SSH_DATA_PATH: join(workDir, 'ssh'),
    ARGOCD_GPG_DATA_PATH: join(workDir, 'gpg-keys'),
    ARGOCD_GNUPGHOME: join(workDir, 'gnupg'),
    // Default is a fixed /tmp path: two instances on one machine would share it.
    ARGOCD_ASK_PASS_SOCK: join(workDir, 'askpass.sock'),
  };
  const started: RunningServer[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop();
  };
  const common = ['--loglevel=info', '--logformat=text'];
  try {
    const redisPort = await freePort();
    started.push(
      await startServer({
        name: 'argocd-redis',
        command: toolPath('redis-server'),
        args: ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', workDir],
        logFile: join(logDir, 'redis.log'),
        ready: () => tcpReady(redisPort),
      }),
    );
    const redis = `127.0.0.1:${redisPort}`;

    const [repoPort, repoMetrics] = [await freePort(), await freePort()];
    const repoServerAddress = `127.0.0.1:${repoPort}`;
    started.push(
      await startServer({
        name: 'argocd-repo-server',
        command: join(bin, 'argocd-repo-server'),
        args: ['--address=127.0.0.1', `--port=${repoPort}`, '--metrics-address=127.0.0.1', `--metrics-port=${repoMetrics}`, `--redis=${redis}`, '--disable-tls', '--client-ca-path=', ...common],
        env,
        cwd: workDir,
        logFile: join(logDir, 'argocd-repo-server.log'),
        // ?full=true makes it dial its own gRPC port, so this passes only once it serves.
        ready: () => httpReady(`http://127.0.0.1:${repoMetrics}/healthz?full=true`),
      }),
    );

    const kube = [`--kubeconfig=${opts.kubeconfig}`, `--namespace=${namespace}`];
    const repo = [`--repo-server=${repoServerAddress}`, '--repo-server-plaintext', `--redis=${redis}`];
    const controllerMetrics = await freePort();
    started.push(
      await startServer({
        name: 'argocd-application-controller',
        command: join(bin, 'argocd-application-controller'),
        // Its metrics server always binds 0.0.0.0 (not configurable in v3.6); the port is random.
        args: [...kube, ...repo, `--metrics-port=${controllerMetrics}`, '--status-processors=2', '--operation-processors=2', ...common],
        // Argo CD sleeps 2 s after every sync wave (controller/sync.go, delayBetweenSyncWaves) so a
        // health check does not judge a controller's object before it saw the change; every kind we
        // gate waves on has a health check that waits for status.observedGeneration == generation
        // (ours in constructs/argocd/health, Argo CD's built-in ones for workloads and CRDs), so the
        // sleep only adds latency: 8 pauses, 16 s of a commit's roll-out through our 9 waves.
        env: { ...env, ARGOCD_SYNC_WAVE_DELAY: '0' },
        cwd: workDir,
        logFile: join(logDir, 'argocd-application-controller.log'),
        ready: () => httpReady(`http://127.0.0.1:${controllerMetrics}/healthz`),
      }),
    );

    const [serverPort, serverMetrics] = [await freePort(), await freePort()];
    const serverUrl = `http://127.0.0.1:${serverPort}`;
    started.push(
      await startServer({
        name: 'argocd-server',
        command: join(bin, 'argocd-server'),
        args: [
          ...kube,
          ...repo,
          '--insecure',
          '--address=127.0.0.1',
          `--port=${serverPort}`,
          '--metrics-address=127.0.0.1',
          `--metrics-port=${serverMetrics}`,
          `--staticassets=${join(workDir, 'static')}`,
          ...common,
        ],
        env,
        cwd: workDir,
        logFile: join(logDir, 'argocd-server.log'),
        ready: () => httpReady(`${serverUrl}/healthz`),
      }),
    );

    return {
      namespace,
      serverUrl,
      repoServerAddress,
      adminPassword,
      webhookUrl: `${serverUrl}/api/webhook`,
      webhookSecret,
      cluster: { name: cluster.name, server: cluster.server },
      workDir,
      logDir,
      async stop(stopOpts = {}) {
        await stopAll();
        if (!stopOpts.keep && !opts.workDir) rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    // The error carries the failing server's log tail; a temp dir we made would only pile up.
    await stopAll();
    if (!opts.workDir) rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}
