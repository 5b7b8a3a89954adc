/**
 * The long-lived process behind `flotilla up`: it starts every server of the local fleet, keeps them
 * (they are its children), records pids, ports and URLs in the state file, and on SIGTERM (`flotilla
 * down`) stops them in reverse order and removes its temp dir. Step by step, each timed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { WasmFunction } from '../../api/index.ts';
import { buildFleet } from '../../clusters/fleet.ts';
import { renderApp, writeRendered } from '../../constructs/index.ts';
import { createKubeClient, loadKubeConfigFile, resourcePath, WASM_FUNCTION_TYPE } from '../../kube/index.ts';
import { startArgoCd } from '../servers/argocd.ts';
import type { ArgoCd } from '../servers/argocd.ts';
import { startEtcd } from '../servers/etcd.ts';
import { startGitServer } from '../servers/git-server.ts';
import { kubeconfigYaml, startKubeApiServer } from '../servers/kube-apiserver.ts';
import type { KubeApiServer } from '../servers/kube-apiserver.ts';
import { startKubeControllerManager } from '../servers/kube-controller-manager.ts';
import { kubectl, waitForCrdsEstablished } from '../servers/kube.ts';
import { freePort, httpReady, startServer } from '../servers/process.ts';
import type { RunningServer } from '../servers/process.ts';
import { startNats } from '../servers/nats.ts';
import { startRegistry } from '../servers/registry.ts';
import { waitFor } from '../servers/wait.ts';
import { toolPath } from '../tools/paths.ts';
import { ArgoCdApi } from './argocd-api.ts';
import { waitCompared, waitSynced } from './argocd-wait.ts';
import type { ArgoView } from './argocd-wait.ts';
import { getWithHost } from './http-probe.ts';
import { machinesFor, nodePeerToken, nodeRuntimeKubeconfig } from './machines.ts';
import { ensureSigningKey, publishExamples } from './publish.ts';
import type { ClusterState, FleetPaths, FleetState } from './state.ts';
import { removeState, writeState } from './state.ts';
import { step } from './steps.ts';
import type { StepContext } from './steps.ts';

/** The two edge clusters of the local fleet (of clusters/fleet.ts's three). */
export const LOCAL_CLUSTERS = ['edge-eu-west', 'edge-us-east'] as const;
/** Machines per edge cluster; each runs one node runtime per pool it belongs to (machines.ts). */
const MACHINES_PER_CLUSTER = 2;
const CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

interface ControlPlane {
  readonly name: string;
  readonly api: KubeApiServer;
}

/** Runs the fleet until SIGTERM/SIGINT. Resolves when it has stopped (or failed to start). */
export async function supervise(paths: FleetPaths, log: (line: string) => void): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'flotilla-fleet-'));
  // Logs outside the temp dir: they must survive a failed start, which removes the temp dir.
  const logDir = join(paths.stateDir, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const servers: RunningServer[] = [];
  let argocd: ArgoCd | undefined;
  let state: FleetState = { phase: 'starting', supervisorPid: process.pid, pids: [], workDir, logDir, startedAt: new Date().toISOString() };
  const save = (patch: Partial<FleetState>): void => {
    state = { ...state, ...patch };
    writeState(paths, state);
  };
  save({});
  const track = <T extends RunningServer>(s: T): T => {
    servers.push(s);
    save({ pids: [...state.pids, s.pid] });
    return s;
  };
  const stopAll = async (): Promise<void> => {
    // All at once: nothing needs a graceful goodbye from another, and one by one takes a minute.
    await Promise.all([...servers.map((s) => s.stop()), argocd?.stop({ keep: true })]);
    rmSync(workDir, { recursive: true, force: true });
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    save({ phase: 'stopping' });
    await stopAll();
    removeState(paths);
  })());
  // A signal may come while a step still runs: stop, then exit without waiting for that step.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void stop().then(() => process.exit(0)));
  const stopped = new Promise<void>(() => undefined);

  const ctx: StepContext = { log, timings: {} };
  try {
    await start(ctx, workDir, logDir, paths, track, (a) => (argocd = a), save);
    save({ phase: 'ready', timings: ctx.timings });
    log('fleet ready');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`✗ ${message}`);
    save({ phase: 'failed', error: message, timings: ctx.timings });
    await stopAll();
    // The failed state stays (with the message) for `up` to report; the next `up` or `down` clears it.
    return 1;
  }
  await stopped;
  return 0;
}

async function startControlPlane(ctx: StepContext, name: string, workDir: string, logDir: string, track: <T extends RunningServer>(s: T) => T, withKcm: boolean): Promise<ControlPlane> {
  const dir = join(workDir, name);
  const logs = join(logDir, name);
  mkdirSync(logs, { recursive: true });
  return step(
    ctx,
    `control plane ${name} (etcd, kube-apiserver${withKcm ? ', kube-controller-manager' : ''})`,
    async () => {
      const etcd = track(await startEtcd(join(dir, 'etcd'), logs));
      const api = track(await startKubeApiServer(join(dir, 'kube'), logs, etcd.endpoint));
      if (withKcm) track(await startKubeControllerManager(join(dir, 'kcm'), logs, api));
      return { name, api };
    },
    logs,
  );
}

function clusterSecret(namespace: string, name: string, kubeconfig: string): string {
  const kc = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
  const cluster = kc.clusters[0]?.cluster;
  const token = kc.users[0]?.user.token;
  if (!cluster || !token) throw new Error(`${kubeconfig}: expected a cluster and a token user`);
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `cluster-${name}`, namespace, labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
    type: 'Opaque',
    stringData: { name, server: cluster.server, config: JSON.stringify({ bearerToken: token, tlsClientConfig: { insecure: false, caData: cluster['certificate-authority-data'] } }) },
  });
}

function git(cwd: string, args: readonly string[]): string {
  return execFileSync(toolPath('git'), args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'flotilla up', GIT_AUTHOR_EMAIL: 'up@flotilla.local', GIT_COMMITTER_NAME: 'flotilla up', GIT_COMMITTER_EMAIL: 'up@flotilla.local' } });
}

/** Open HTTP functions of a rendered cluster: name, the Host its route matches, its path prefix and the pool its (first) backend runs in. */
function httpFunctions(files: readonly { path: string; content: string }[], cluster: string): ClusterState['functions'] {
  const docs = (prefix: string) => files.filter((x) => x.path.startsWith(`clusters/${cluster}/${prefix}`)).flatMap((f) => parseAllDocuments(f.content).map((d) => d.toJS() as unknown));
  const functions = docs('wasmfunction_') as { metadata: { name: string; namespace: string }; spec: { runtimeClass?: string } }[];
  const out: ClusterState['functions'][number][] = [];
  for (const r of docs('functionroute_') as { metadata: { name: string; namespace: string }; spec: { host?: string; pathPrefix?: string; auth?: unknown; backends?: { functionRef: string }[] } }[]) {
    const backend = functions.find((f) => f.metadata.namespace === r.metadata.namespace && f.metadata.name === r.spec.backends?.[0]?.functionRef);
    // Routes that require a bearer token are refused by the node runtime (not served open), so they are not listed.
    if (r.spec.host !== undefined && r.spec.auth === undefined) out.push({ name: r.metadata.name, namespace: r.metadata.namespace, function: r.spec.backends?.[0]?.functionRef ?? r.metadata.name, host: r.spec.host, path: r.spec.pathPrefix ?? '/', pool: backend?.spec.runtimeClass ?? 'default' });
  }
  return out;
}

async function start(
  ctx: StepContext,
  workDir: string,
  logDir: string,
  paths: FleetPaths,
  track: <T extends RunningServer>(s: T) => T,
  setArgo: (a: ArgoCd) => void,
  save: (patch: Partial<FleetState>) => void,
): Promise<void> {
  // Servers first, in parallel; allSettled so a failure stops only after every start has finished.
  const results = await Promise.allSettled([
    step(ctx, 'registry', async () => track(await startRegistry(join(workDir, 'registry'), logDir)), join(logDir, 'registry.log')),
    step(ctx, 'git server', async () => {
      const base = join(workDir, 'git');
      mkdirSync(join(base, 'fleet'), { recursive: true });
      git(join(base, 'fleet'), ['init', '-q', '-b', 'main']);
      return track(await startGitServer(base, logDir));
    }, join(logDir, 'git-server.log')),
    startControlPlane(ctx, 'management', workDir, logDir, track, false),
    // Functions with shared state (spec.state.store: nats) need it on every node.
    step(ctx, 'NATS (JetStream)', async () => track(await startNats(join(workDir, 'nats'), logDir)), join(logDir, 'nats-server.log')),
    ...LOCAL_CLUSTERS.map((c) => startControlPlane(ctx, c, workDir, logDir, track, true)),
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [registry, gitServer, mgmt, nats, ...edges] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [Awaited<ReturnType<typeof startRegistry>>, Awaited<ReturnType<typeof startGitServer>>, ControlPlane, Awaited<ReturnType<typeof startNats>>, ...ControlPlane[]];
  const repoDir = join(workDir, 'git', 'fleet');
  const repoURL = gitServer.repoUrl('fleet');
  save({ registry: { host: registry.host }, git: { url: repoURL, repoDir } });

  const key = await step(ctx, 'signing key', () => ensureSigningKey(paths.configDir));
  save({ key: { privateKey: key.privateKey, publicKey: key.publicKey } });
  const modules = await step(ctx, 'build, push and sign the example functions', () => publishExamples(registry.host, key, ctx.log), join(logDir, 'registry.log'));

  const files = await step(ctx, 'render the fleet and commit it', async () => {
    const rendered = renderApp(buildFleet({ modules, extraTrustKeys: [key.publicPem], clusters: LOCAL_CLUSTERS, operatorReplicas: 0, kyverno: false, argocd: { repoURL, revision: 'main' } }));
    await writeRendered(join(repoDir, 'gitops'), rendered);
    git(repoDir, ['add', '-A']);
    git(repoDir, ['commit', '-q', '-m', 'flotilla up: the local fleet, rendered with the local registry digests and key']);
    return rendered;
  });

  const argocd = await step(ctx, 'Argo CD (redis, repo server, application controller, API server)', async () => {
    // Under the log dir, so its logs outlive a failed start; `up` clears it each time.
    // The namespace the rendered AppProject and ApplicationSet name.
    const a = await startArgoCd({ kubeconfig: mgmt.api.kubeconfig, namespace: 'argocd', workDir: join(logDir, 'argocd'), reconcileSeconds: 180 });
    setArgo(a);
    return a;
  }, join(logDir, 'argocd', 'logs'));
  // As a Git host is set up for Argo CD: every commit in the working copy (or push to it) tells
  // argocd-server at once, instead of waiting for the 3-minute poll.
  gitServer.addWebhook('fleet', { url: argocd.webhookUrl, secret: argocd.webhookSecret });
  save({ argocd: { url: argocd.serverUrl, username: 'admin', password: argocd.adminPassword, namespace: argocd.namespace, kubeconfig: mgmt.api.kubeconfig } });

  await step(ctx, 'ApplicationSet controller', async () => {
    // The argocd binary is multi-call: it acts as the controller named by argv[0].
    const bin = join(workDir, 'argocd-bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(toolPath('argocd'), join(bin, 'argocd-applicationset-controller'));
    const [probe, metrics, webhook] = [await freePort(), await freePort(), await freePort()];
    track(
      await startServer({
        name: 'argocd-applicationset-controller',
        command: join(bin, 'argocd-applicationset-controller'),
        args: [`--kubeconfig=${mgmt.api.kubeconfig}`, `--namespace=${argocd.namespace}`, `--argocd-repo-server=${argocd.repoServerAddress}`, '--repo-server-plaintext', `--probe-addr=127.0.0.1:${probe}`, `--metrics-addr=127.0.0.1:${metrics}`, `--webhook-addr=127.0.0.1:${webhook}`, '--logformat=text'],
        // controller-runtime reads $KUBECONFIG, not the flag, for its own client.
        env: { ...process.env, KUBECONFIG: mgmt.api.kubeconfig, TMPDIR: join(logDir, 'argocd', 'tmp') },
        cwd: workDir,
        logFile: join(logDir, 'argocd-applicationset-controller.log'),
        // Its probe server registers no checks (404); the metrics endpoint answers once the manager runs.
        ready: () => httpReady(`http://127.0.0.1:${metrics}/metrics`),
        port: metrics,
      }),
    );
  }, join(logDir, 'argocd-applicationset-controller.log'));

  await step(ctx, 'register both clusters and the ApplicationSet with Argo CD', async () => {
    const docs = [...edges.map((e) => clusterSecret(argocd.namespace, e.name, e.api.kubeconfig)), ...files.filter((f) => f.path.startsWith('argocd/')).map((f) => f.content)];
    // Its own field manager: the settings startArgoCd applied (admin, reconciliation) stay, the health checks merge in.
    const out = await kubectl(mgmt.api.kubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=flotilla-up', '-f', '-'], docs.join('\n---\n')).catch(async (err: unknown) => {
      const ns = await kubectl(mgmt.api.kubeconfig, ['get', 'namespaces', '-o', 'name']).catch((e: unknown) => String(e));
      throw new Error(`${(err as Error).message} (namespaces on ${mgmt.api.server}: ${ns.replace(/\n/g, ' ')})`, { cause: err });
    });
    ctx.log(out.trim().replace(/^/gm, '    '));
  });

  const argo: ArgoView = { api: new ArgoCdApi(argocd.serverUrl, { username: 'admin', password: argocd.adminPassword }), kubeconfig: mgmt.api.kubeconfig, namespace: argocd.namespace };
  const applications = LOCAL_CLUSTERS.map((c) => `flotilla-${c}`);
  // The operators below wait for the CRDs Argo CD brings: a repo it cannot read must fail here, in seconds.
  await step(ctx, 'Argo CD reads the GitOps repo', () => waitCompared(argo, applications, 150_000), join(logDir, 'argocd', 'logs', 'argocd-repo-server.log'));

  const clusters: ClusterState[] = [];
  for (const edge of edges) {
    const state = await step(ctx, `operator and node runtimes on ${edge.name} (${MACHINES_PER_CLUSTER} machines)`, async () => {
      const kc = loadKubeConfigFile(edge.api.kubeconfig);
      // Argo CD's first sync wave brings the CRDs; the operator needs them to start its informers.
      await waitForCrdsEstablished(kc, ['wasmfunctions.flotilla.dev', 'wasmruntimes.flotilla.dev', 'functionroutes.flotilla.dev', 'functiontriggers.flotilla.dev'], 150_000);
      const opPort = await freePort();
      track(
        await startServer({
          name: `operator-${edge.name}`,
          command: process.execPath,
          args: [CLI, 'operator', '--kubeconfig', edge.api.kubeconfig, '--listen', `127.0.0.1:${opPort}`, '--no-leader-elect'],
          logFile: join(logDir, edge.name, 'operator.log'),
          ready: () => httpReady(`http://127.0.0.1:${opPort}/healthz`),
          port: opPort,
        }),
      );
      // What a DaemonSet pod of each pool would run on each machine: `flotilla node --cluster`, with
      // its pool's ServiceAccount token (so the RBAC the operator and constructs grant is what it gets).
      const runtimes = files.filter((f) => f.path.startsWith(`clusters/${edge.name}/wasmruntime_`)).map((f) => parse(f.content) as { metadata: { name: string; namespace: string }; spec: { nodeSelector?: Record<string, string>; trustPolicyRef: { name: string } } });
      const trust = files.find((f) => f.path.startsWith(`clusters/${edge.name}/configmap_`) && f.path.endsWith('-trust.yaml'));
      const trustNamespace = trust ? (parse(trust.content) as { metadata: { namespace: string } }).metadata.namespace : 'flotilla-system';
      const nodes: ClusterState['nodes'][number][] = [];
      for (const machine of machinesFor(edge.name, MACHINES_PER_CLUSTER, runtimes)) {
        for (const pool of machine.pools) {
          const dir = join(workDir, edge.name, machine.name, pool.name);
          mkdirSync(dir, { recursive: true });
          const kubeconfig = join(dir, 'kubeconfig');
          writeFileSync(kubeconfig, await nodeRuntimeKubeconfig(edge.api, pool, machine, (server, ca, token) => kubeconfigYaml(server, ca, token, `system:serviceaccount:${pool.namespace}:${pool.serviceAccount}`)), { mode: 0o600 });
          const peerToken = join(dir, 'peer-token');
          writeFileSync(peerToken, await nodePeerToken(edge.api, pool), { mode: 0o600 });
          const [port, adminPort] = [await freePort(), await freePort()];
          const url = `http://127.0.0.1:${port}`;
          track(
            await startServer({
              name: `${machine.name}-${pool.name}`,
              command: process.execPath,
              args: [
                CLI, 'node', '--cluster', '--runtime', pool.name, '--namespace', pool.namespace, '--trust-namespace', trustNamespace,
                '--kubeconfig', kubeconfig, '--peer-token-file', peerToken, '--node-name', machine.name, ...Object.entries(machine.labels).flatMap(([k, v]) => ['--labels', `${k}=${v}`]),
                '--port', String(port), '--admin-port', String(adminPort), '--cache-dir', join(dir, 'cache'), '--state-dir', join(dir, 'state'), '--workers', pool.name === 'default' ? '2' : '1', '--nats-url', nats.url,
              ],
              logFile: join(logDir, edge.name, `${machine.name}-${pool.name}.log`),
              ready: () => httpReady(`http://127.0.0.1:${adminPort}/healthz`),
              port,
            }),
          );
          nodes.push({ name: machine.name, pool: pool.name, url });
        }
      }
      return { name: edge.name, server: edge.api.server, kubeconfig: edge.api.kubeconfig, nodes, functions: httpFunctions(files, edge.name) };
    }, join(logDir, edge.name));
    clusters.push(state);
  }
  save({ clusters });

  // After the operators run: sync waves wait for our kinds' health, which the operator reports.
  await step(ctx, 'Argo CD syncs both clusters', () => waitSynced(argo, applications, 150_000), join(logDir, 'argocd', 'logs', 'argocd-application-controller.log'));


  // Every node of a function's pool answers it: the ones it runs on directly, the others by forwarding
  // to them. A function scaled to zero is not probed: a probe would wake it.
  const placed = await step(ctx, 'every HTTP function answers on every node of its pool', async () => {
    const out: ClusterState[] = [];
    for (const c of clusters) {
      const client = createKubeClient(loadKubeConfigFile(c.kubeconfig));
      const functions: ClusterState['functions'][number][] = [];
      for (const f of c.functions) {
        const on = await waitFor(
          async () => {
            const fn = await client.request<WasmFunction>({ method: 'GET', path: resourcePath(WASM_FUNCTION_TYPE, { namespace: f.namespace, name: f.function }) });
            const ready = fn.status?.conditions?.find((x) => x.type === 'Ready');
            return fn.status?.observedGeneration === fn.metadata.generation && ready?.status === 'True' ? (fn.status?.nodes ?? []) : undefined;
          },
          { what: `WasmFunction ${f.namespace}/${f.function} on ${c.name} to be Ready`, timeoutMs: 120_000, intervalMs: 500 },
        );
        for (const n of on.length === 0 ? [] : c.nodes.filter((x) => x.pool === f.pool)) {
          await waitFor(
            async () => ((await getWithHost(`${n.url}${f.path}`, f.host)).status === 200 ? true : undefined),
            { what: `${f.name} on ${n.name} (Host ${f.host}) to answer 200`, timeoutMs: 60_000, intervalMs: 250 },
          );
        }
        functions.push({ ...f, placedOn: on });
      }
      out.push({ ...c, functions });
    }
    return out;
  });
  save({ clusters: placed });
}
