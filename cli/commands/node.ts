import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { NodeReport, NodeRouteReport } from '../../api/index.ts';
import { pino } from 'pino';
import { stopOnSignal, waitForSignal } from '../signals.ts';
import { findKubeConfig, loadKubeConfig } from '../../kube/kubeconfig.ts';
import { createKubeClient, getSecret, systemClock } from '../../kube/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { secretCredentials } from '../../artifacts/index.ts';
import type { StoreOptions } from '../../artifacts/index.ts';
import { DEFAULT_JWKS_OPTIONS } from '../../node-runtime/auth/jwt.ts';
import { secretsDir } from '../../node-runtime/auth/secrets-dir.ts';
import { advertisedUrl } from '../../node-runtime/cluster/advertise.ts';
import { ClusterSource } from '../../node-runtime/cluster/cluster-source.ts';
import { nodeRuntimeName } from '../../api/index.ts';
import type { PeerAuth } from '../../node-runtime/peer/peer-auth.ts';
import { loadPoolKey } from '../../node-runtime/peer/pool-key.ts';
import { ServiceAccountPeerAuth } from '../../node-runtime/peer/service-account.ts';
import { NodeRuntimeError } from '../../node-runtime/errors.ts';
import { NODE_DEFAULTS, startNode } from '../../node-runtime/node.ts';
import { LOADER_DEFAULTS } from '../../node-runtime/loader/module-loader.ts';
import { ManifestDirSource } from '../../node-runtime/standalone/manifest-dir-source.ts';
import { loadTrust } from '../../node-runtime/standalone/trust.ts';
import { LocalTickClaims } from '../../node-runtime/triggers/cron/claims.ts';
import { LeaseTickClaims } from '../../node-runtime/triggers/cron/lease-claims.ts';
import { NatsCredentials } from '../../node-runtime/triggers/nats-credentials.ts';
import { openAuditLog } from '../audit-sink.ts';
import { intFlag } from './run.ts';

/**
 * Scale-from-zero bounds. A held request keeps its socket and body (up to 1 MiB) in memory, so the
 * count is capped for an edge node; the wait must leave the operator time to place the function
 * (about a second) and stays under the 10 min a client or proxy would wait anyway.
 */
const COLD_START_WAIT_MS = { min: 1000, max: 600_000 } as const;
const MAX_HELD_REQUESTS = { min: 0, max: 10_000 } as const;

/**
 * How long SIGTERM lets in-flight requests finish. The default sits well below a pod's default
 * 30 s termination grace, so the node exits on its own before the kubelet's SIGKILL.
 */
const SHUTDOWN_GRACE_MS = { min: 0, max: 600_000, default: 10_000 } as const;
/** Beyond the grace: triggers, workers and the Lease release get this long before the process gives up on them. */
const SHUTDOWN_OVERRUN_MS = 5000;

interface NodeFlags {
  manifests?: string;
  cluster?: boolean;
  runtime?: string;
  namespace?: string;
  trustNamespace?: string;
  labels: string[];
  leaseSeconds: string;
  capacity: string;
  port: string;
  adminPort: string;
  host: string;
  advertiseHost?: string;
  cacheDir: string;
  cacheSizeMb: string;
  trustKey: string[];
  trustPolicy?: string;
  localStore?: string;
  workers?: string;
  stackSizeKb?: string;
  /** False with --no-worker-listeners. */
  workerListeners: boolean;
  queueLimit: string;
  /** False with --no-pre-pull. */
  prePull: boolean;
  coldStartWaitMs: string;
  maxHeldRequests: string;
  compiledCacheMb: string;
  moduleLoadTimeoutMs: string;
  stateDir: string;
  secretsDir?: string;
  auditFile?: string;
  jwksCooldownMs: string;
  natsUrl?: string;
  natsCreds?: string;
  nodeName?: string;
  cronClaims?: string;
  kubeconfig?: string;
  logLevel: string;
  shutdownGraceMs: string;
  registryCredentials?: string;
  peerKeyFile?: string;
  peerServiceAccount?: string;
  peerTokenFile?: string;
}

const NATS_URL = /^(nats|tls):\/\/[^\s/]+$/;
const LABEL = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** The version a node reports in its Lease (the operator compares it with WasmRuntime.spec.version). */
const RUNTIME_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const collect = (v: string, prev: string[]) => [...prev, v];

/** The cron claim kind chosen by --cron-claims; NATS is the EventRuntime's own default. */
function tickClaims(flags: NodeFlags): { tickClaims?: LocalTickClaims | LeaseTickClaims } {
  switch (flags.cronClaims) {
    case undefined:
      return {};
    case 'nats':
      if (flags.natsUrl === undefined) throw new NodeRuntimeError('InvalidArgument', '--cron-claims nats: expected --nats-url as well, got none');
      return {};
    case 'lease':
      return { tickClaims: new LeaseTickClaims(createKubeClient(loadKubeConfig(findKubeConfig({ flag: flags.kubeconfig, env: process.env, homeDir: homedir() })))) };
    case 'local':
      return { tickClaims: new LocalTickClaims() };
    default:
      throw new NodeRuntimeError('InvalidArgument', `--cron-claims: expected nats, lease or local, got ${JSON.stringify(flags.cronClaims)}`);
  }
}

/** --labels k=v,k2=v2 (repeatable) into the node's placement labels. */
function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of values.flatMap((v) => v.split(',')).filter((p) => p !== '')) {
    if (!LABEL.test(pair)) throw new NodeRuntimeError('InvalidArgument', `--labels: expected key=value with a Kubernetes label key and value, got ${JSON.stringify(pair)}`);
    const at = pair.indexOf('=');
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/** Where the desired state comes from: exactly one of --manifests (standalone) and --cluster (the operator's assignments). */
function desiredStateSource(flags: NodeFlags, logger: pino.Logger, nodeName: string): { source: ManifestDirSource | ClusterSource; cluster?: ClusterSource; client?: KubeClient } {
  if ((flags.manifests === undefined) === (flags.cluster !== true)) {
    throw new NodeRuntimeError('InvalidArgument', `expected exactly one of --manifests <dir> (standalone) and --cluster (assignments from the operator), got ${flags.cluster ? 'both' : 'neither'}`);
  }
  if (flags.manifests !== undefined) {
    if (flags.registryCredentials !== undefined) throw new NodeRuntimeError('InvalidArgument', '--registry-credentials: expected --cluster as well (the Secrets are read from the API server), got --manifests');
    return { source: new ManifestDirSource(resolve(flags.manifests), logger) };
  }
  if (flags.trustKey.length > 0 || flags.trustPolicy !== undefined) {
    throw new NodeRuntimeError('InvalidArgument', '--cluster: expected no --trust-key/--trust-policy (a cluster node trusts the trust policy ConfigMap its WasmRuntime names), got one');
  }
  if (flags.runtime === undefined || flags.namespace === undefined) {
    throw new NodeRuntimeError('InvalidArgument', `--cluster: expected --runtime <WasmRuntime> and --namespace <its namespace>, got ${flags.runtime === undefined ? 'no --runtime' : 'no --namespace'}`);
  }
  // Arguments first, so a typo is reported before the kubeconfig is looked for.
  const labels = parseLabels(flags.labels);
  const leaseDurationSeconds = intFlag('--lease-seconds', flags.leaseSeconds, 1, 3600);
  const capacity = { functions: intFlag('--capacity', flags.capacity, 0, 100_000) };
  const kubeConfig = loadKubeConfig(findKubeConfig({ flag: flags.kubeconfig, env: process.env, homeDir: homedir() }));
  const client = createKubeClient(kubeConfig);
  const source = new ClusterSource(
    { client, clock: systemClock, log: logger },
    {
      namespace: flags.namespace,
      runtime: flags.runtime,
      node: nodeName,
      holder: `${hostname()}-${process.pid}`,
      leaseDurationSeconds,
      labels,
      capacity,
      version: RUNTIME_VERSION,
      ...(flags.trustNamespace !== undefined ? { trustNamespace: flags.trustNamespace } : {}),
    },
  );
  return { source, cluster: source, client };
}

/** --registry-credentials a,b: the pool's dockerconfigjson Secrets in --namespace, read from the API server at each pull (its Role grants get on exactly these). */
function registryStoreOptions(flags: NodeFlags, client: KubeClient | undefined): StoreOptions | undefined {
  if (flags.registryCredentials === undefined || client === undefined) return undefined;
  const names = flags.registryCredentials.split(',').filter((n) => n !== '');
  const bad = names.find((n) => !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(n));
  if (bad !== undefined) throw new NodeRuntimeError('InvalidArgument', `--registry-credentials: expected comma-separated Secret names, got ${JSON.stringify(bad)}`);
  const namespace = flags.namespace ?? 'default';
  return { credentials: secretCredentials((name) => getSecret(client, namespace, name), namespace, names, `spec.registryCredentials of WasmRuntime ${namespace}/${flags.runtime ?? ''} (--registry-credentials)`) };
}

/**
 * Node identity: the pool key with --peer-key-file (either mode), else in cluster mode tokens of the
 * pool's ServiceAccount (the one the operator renders for the WasmRuntime) checked with TokenReview;
 * standalone without a key, nothing forwarded to this node is served (deny by default).
 */
async function peerAuth(flags: NodeFlags, client: KubeClient | undefined): Promise<PeerAuth | undefined> {
  if (flags.peerKeyFile !== undefined) {
    if (flags.peerServiceAccount !== undefined) throw new NodeRuntimeError('InvalidArgument', 'expected one of --peer-key-file and --peer-service-account, got both');
    return loadPoolKey(resolve(flags.peerKeyFile));
  }
  if (client === undefined) {
    if (flags.peerTokenFile !== undefined) throw new NodeRuntimeError('InvalidArgument', '--peer-token-file: expected --cluster as well (tokens are reviewed by the API server), got --manifests; use --peer-key-file');
    if (flags.peerServiceAccount !== undefined) throw new NodeRuntimeError('InvalidArgument', '--peer-service-account: expected --cluster as well (tokens are minted and reviewed by the API server), got --manifests; use --peer-key-file');
    return undefined;
  }
  const serviceAccount = flags.peerServiceAccount ?? nodeRuntimeName(flags.runtime ?? '');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(serviceAccount)) throw new NodeRuntimeError('InvalidArgument', `--peer-service-account: expected a ServiceAccount name, got ${JSON.stringify(serviceAccount)}`);
  return new ServiceAccountPeerAuth(client, { namespace: flags.namespace ?? 'default', serviceAccount, ...(flags.peerTokenFile !== undefined ? { tokenFile: resolve(flags.peerTokenFile) } : {}) });
}

/** `flotilla node`: the node runtime, standalone (desired state from a manifest directory) or in cluster mode (assignments from the operator), event triggers and state included. */
export function register(program: Command): void {
  program
    .command('node')
    .description('Run the node runtime: serve the functions, routes and event triggers of a rendered manifest directory (watched for changes), or, with --cluster, what the operator assigns to this node')
    .option('--manifests <dir>', 'standalone: rendered manifests, e.g. gitops/clusters/<cluster>/')
    .option('--cluster', 'cluster mode: register with the operator through a node Lease and run this node\'s assignments')
    .option('--runtime <name>', 'cluster mode: the WasmRuntime (pool) this node belongs to')
    .option('--namespace <ns>', 'cluster mode: the WasmRuntime\'s namespace')
    .option('--trust-namespace <ns>', 'cluster mode: namespace of the trust policy ConfigMaps, the operator\'s (default: --namespace)')
    .option('--labels <k=v,...>', 'cluster mode: node labels matched by WasmFunction placement.nodeSelector (repeatable)', collect, [])
    .option('--capacity <n>', 'cluster mode: functions this node accepts', '100')
    .option('--lease-seconds <n>', 'cluster mode: node Lease duration; the node renews it every third of that', '10')
    .option('-p, --port <n>', 'tenant HTTP port: the functions\' routes (0 picks a free one)', '8080')
    .option('--admin-port <n>', 'admin HTTP port on the same address: /healthz, /readyz, /metrics, and the peer path the pool\'s other nodes forward requests to (0 picks a free one)', '9090')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--advertise-host <addr>', 'cluster mode: the address the other nodes of the pool reach this one at, to forward requests for the functions it runs (default: --host; required to forward here when --host is 0.0.0.0, e.g. the pod IP)')
    .option('--cache-dir <dir>', 'module cache directory', join(homedir(), '.cache', 'flotilla', 'node'))
    .option('--cache-size-mb <n>', 'module cache size bound', '1024')
    .option('--trust-key <file>', 'PEM public key the node trusts (repeatable); nothing is trusted by default', collect, [])
    .option('--trust-policy <file>', 'trust policy JSON { keys, identities }')
    .option('--local-store <dir>', 'read registry references from OCI layouts under <dir>/<host>/<repo> (no registry)')
    .option('--workers <n>', 'invocation worker threads, and as many listener threads (default: max(2, CPUs))')
    .option('--stack-size-kb <n>', 'stack of each worker thread in KiB: how deep a function may recurse before it traps (512..65536; default: Node\'s, 4096)')
    .option('--no-worker-listeners', 'the main thread serves the tenant port and every request hops to a worker (default: listener threads serve it and run plain requests inline)')
    .option('--queue-limit <n>', 'invocations waiting for a worker before 503', '256')
    .option('--no-pre-pull', 'scale from zero: do not pull the modules of functions this node holds dormant into the disk cache ahead of their first request (that request then waits for the pull too)')
    .option('--cold-start-wait-ms <n>', `scale from zero: longest a request for a dormant function is held while it is placed here and loaded, then 504 (${COLD_START_WAIT_MS.min}..${COLD_START_WAIT_MS.max})`, String(NODE_DEFAULTS.coldStartTimeoutMs))
    .option('--max-held-requests <n>', `scale from zero: requests held at once across dormant functions before new ones get 503 + Retry-After; 0 holds none (${MAX_HELD_REQUESTS.min}..${MAX_HELD_REQUESTS.max})`, String(NODE_DEFAULTS.maxHeldRequests))
    .option('--compiled-cache-mb <n>', 'compiled modules kept in memory, across scale to zero (counted at their wasm size), MiB', String(LOADER_DEFAULTS.compiledCacheBytes >> 20))
    .option('--module-load-timeout-ms <n>', 'longest one module load (pull + verify + compile) runs; a request waits only until its own timeout', String(LOADER_DEFAULTS.loadTimeoutMs))
    .option('--state-dir <dir>', 'functions\' disk state (spec.state.store: disk), one directory per function', join(homedir(), '.local', 'state', 'flotilla', 'node'))
    .option('--secrets-dir <dir>', 'standalone: Secrets the routes\' auth names, as <dir>/<namespace>/<name>/<key> files (a mounted Secret\'s layout); without it, apiKey routes answer 503')
    .option('--audit-file <file>', 'append the audit log (hash-chained JSON lines: verifications, modules loaded, auth denials, desired states; `flotilla audit verify`) to <file> instead of stdout')
    .option('--jwks-cooldown-ms <n>', 'route auth: least time between two fetches of a remote JWKS (a token naming an unknown key refetches it: key rotation)', '30000')
    .option('--nats-url <url>', 'the cluster\'s NATS (JetStream): chaining across nodes, cron tick claims, shared state (store: nats); without it the node runs alone')
    .option('--nats-creds <file>', 'the pool\'s NATS credentials: a file holding its nkey user seed (SU..., from `flotilla nats keygen`; a mounted Secret in cluster mode); the server\'s config grants its public key the pool\'s subjects only')
    .option('--node-name <name>', 'this node\'s name: its Lease and assignment in cluster mode, trigger claims and logs (default: NODE_NAME, else the host name)')
    .option('--cron-claims <kind>', 'claim each cron tick once per cluster via "nats" (KV, the default with --nats-url), "lease" (coordination.k8s.io Leases, needs a kubeconfig) or "local" (every tick is this node\'s)')
    .option('--kubeconfig <file>', 'kubeconfig for --cluster and --cron-claims lease (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--registry-credentials <names>', 'cluster mode: Secrets (kubernetes.io/dockerconfigjson, in --namespace) with the pull credentials of private module registries, comma-separated, tried in order')
    .option('--peer-key-file <file>', 'node identity by a pool key: every node of the pool holds this file (at least 32 bytes, e.g. `openssl rand -hex 32`); forwarded requests are signed with it and only those that verify are served. Standalone mode needs it for forwarding to this node; cluster mode uses ServiceAccount tokens without it')
    .option('--peer-service-account <name>', 'cluster mode: the ServiceAccount (in --namespace) whose tokens (audience flotilla-peer, checked with TokenReview) identify the pool\'s nodes (default: the one the operator renders for --runtime)')
    .option('--peer-token-file <file>', 'cluster mode: a projected ServiceAccount token (audience flotilla-peer) to identify this node to its peers, re-read every minute (the operator\'s DaemonSet mounts one); without it the node mints tokens with TokenRequest')
    .option('--shutdown-grace-ms <n>', `on SIGTERM: how long requests in flight get to finish once the node stops accepting; pulls and retries stop at once (${SHUTDOWN_GRACE_MS.min}..${SHUTDOWN_GRACE_MS.max})`, String(SHUTDOWN_GRACE_MS.default))
    .action(async (flags: NodeFlags) => {
      const logger = pino({ level: flags.logLevel, base: { component: 'node-runtime' } });
      if (flags.natsUrl !== undefined && !NATS_URL.test(flags.natsUrl)) {
        throw new NodeRuntimeError('InvalidArgument', `--nats-url: expected nats://host:port or tls://host:port, got ${JSON.stringify(flags.natsUrl)}`);
      }
      if (flags.natsCreds !== undefined && flags.natsUrl === undefined) {
        throw new NodeRuntimeError('InvalidArgument', '--nats-creds: expected --nats-url as well, got none; name the NATS server the credentials are for');
      }
      // Read before anything starts, so a bad file is reported at once, naming the flag.
      const natsCredentials = flags.natsCreds !== undefined ? NatsCredentials.read(resolve(flags.natsCreds), '--nats-creds') : undefined;
      // The DaemonSet passes the node name through the downward API as NODE_NAME.
      const nodeName = flags.nodeName ?? process.env['NODE_NAME'] ?? hostname();
      // Before the desired state source, so a bad number is reported before the kubeconfig is looked for.
      const scaleFromZero = {
        prePullDormant: flags.prePull,
        coldStartTimeoutMs: intFlag('--cold-start-wait-ms', flags.coldStartWaitMs, COLD_START_WAIT_MS.min, COLD_START_WAIT_MS.max),
        maxHeldRequests: intFlag('--max-held-requests', flags.maxHeldRequests, MAX_HELD_REQUESTS.min, MAX_HELD_REQUESTS.max),
      };
      const graceMs = intFlag('--shutdown-grace-ms', flags.shutdownGraceMs, SHUTDOWN_GRACE_MS.min, SHUTDOWN_GRACE_MS.max);
      const { source, cluster, client } = desiredStateSource(flags, logger, nodeName);
      const storeOptions = registryStoreOptions(flags, client);
      const peers = await peerAuth(flags, client);
      const pull = { ...(storeOptions ? { storeOptions } : {}), ...(flags.localStore !== undefined ? { localStore: resolve(flags.localStore) } : {}) };
      // Listening for the signal before the node starts: its listeners serve before startNode
      // returns, and a SIGTERM in that window is dropped when the node is a container's init (PID 1).
      const signalled = waitForSignal();
      const node = await startNode({
        source,
        logger,
        host: flags.host,
        port: intFlag('--port', flags.port, 0, 65535),
        adminPort: intFlag('--admin-port', flags.adminPort, 0, 65535),
        cacheDir: flags.cacheDir,
        cacheMaxBytes: intFlag('--cache-size-mb', flags.cacheSizeMb, 1, 1 << 20) * (1 << 20),
        compiledCacheBytes: intFlag('--compiled-cache-mb', flags.compiledCacheMb, 1, 1 << 20) * (1 << 20),
        loadTimeoutMs: intFlag('--module-load-timeout-ms', flags.moduleLoadTimeoutMs, 1000, 3_600_000),
        // Cluster mode trusts what the cluster's trust policy ConfigMap says, nothing from the command line.
        trust: cluster ? () => cluster.trust() : await loadTrust(flags.trustKey, flags.trustPolicy),
        ...(cluster ? { onReport: (report: NodeReport) => cluster.report(report), onRouteReport: (routes: NodeRouteReport) => cluster.reportRoutes(routes) } : {}),
        pull,
        ...(flags.workers !== undefined ? { workers: intFlag('--workers', flags.workers, 1, 256) } : {}),
        ...(flags.stackSizeKb !== undefined ? { stackSizeKb: intFlag('--stack-size-kb', flags.stackSizeKb, 512, 65536) } : {}),
        workerListeners: flags.workerListeners,
        queueLimit: intFlag('--queue-limit', flags.queueLimit, 0, 1_000_000),
        stateDir: resolve(flags.stateDir),
        auth: {
          ...(flags.secretsDir !== undefined && !cluster ? { secrets: secretsDir(resolve(flags.secretsDir)) } : {}),
          jwks: { ...DEFAULT_JWKS_OPTIONS, cooldownMs: intFlag('--jwks-cooldown-ms', flags.jwksCooldownMs, 0, 3_600_000) },
        },
        ...(flags.natsUrl !== undefined ? { natsUrl: flags.natsUrl } : {}),
        ...(natsCredentials ? { natsCredentials } : {}),
        nodeName,
        ...scaleFromZero,
        ...tickClaims(flags),
        audit: openAuditLog(`node/${nodeName}`, flags.auditFile),
        ...(peers ? { peerAuth: peers } : {}),
      });
      if (cluster) {
        // Peers forward to the admin port: the tenant port never trusts a forwarding mark (http/peer.ts).
        const endpoint = advertisedUrl(flags.advertiseHost ?? flags.host, node.adminPort);
        if (endpoint !== undefined) cluster.setEndpoint(endpoint);
        else logger.warn({ host: flags.host }, 'No endpoint published: the other nodes of the pool cannot forward requests to this one (listening on every address); pass --advertise-host with the address they reach it at');
      }
      await stopOnSignal(logger, graceMs + SHUTDOWN_OVERRUN_MS, () => node.close({ graceMs }), signalled);
    });
}
