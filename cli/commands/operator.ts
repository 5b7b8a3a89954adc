import { hostname, homedir } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { pino } from 'pino';
import { DIGEST } from '../../api/digest.ts';
import { FlotillaError } from '../../api/errors.ts';
import { findKubeConfig, loadKubeConfig } from '../../kube/kubeconfig.ts';
import { startOperator } from '../../operator/operator.ts';
import { openAuditLog } from '../audit-sink.ts';
import { collect } from './artifact-common.ts';
import { stopOnSignal, waitForSignal } from '../signals.ts';

/** Longest a SIGTERM'd operator takes to stop before it exits 1 anyway. */
const OPERATOR_STOP_BOUND_MS = 20_000;

interface OperatorFlags {
  kubeconfig?: string;
  namespace: string;
  listen: string;
  leaderElect: boolean;
  id?: string;
  logLevel: string;
  nodeImage: string;
  nodeImagePin: string[];
  requirePinnedNodeImages?: boolean;
  watchNamespace?: string;
  leaseDuration: string;
  forgetNodesAfter: string;
  auditFile?: string;
}

const NODE_IMAGE_PIN = new RegExp(`^([^=\\s]+)=(\\S+@${DIGEST})$`);

/** `--node-image-pin <version>=<repository>@sha256:<hex>` values as version -> pinned image; one pin per version. */
export function parseNodeImagePins(values: readonly string[]): Map<string, string> {
  const pins = new Map<string, string>();
  for (const v of values) {
    const m = NODE_IMAGE_PIN.exec(v);
    if (!m) throw new FlotillaError('InvalidArgument', `--node-image-pin: expected <version>=<repository>@sha256:<64 hex> (e.g. 0.1.0=registry.example/flotilla/node-runtime@sha256:...), got ${JSON.stringify(v)}`);
    const [, version = '', image = ''] = m;
    const before = pins.get(version);
    if (before !== undefined && before !== image) throw new FlotillaError('InvalidArgument', `--node-image-pin: version ${version} pinned twice (${before} and ${image}); keep one`);
    pins.set(version, image);
  }
  return pins;
}

/** host:port, port 0 meaning "pick a free one". */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || !m[1] || port > 65535) throw new FlotillaError('InvalidArgument', `--listen: expected host:port (e.g. 127.0.0.1:8080), got ${JSON.stringify(value)}`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** `flotilla operator`: runs the controller manager against a cluster until SIGINT/SIGTERM. */
export function register(program: Command): void {
  program
    .command('operator')
    .description('Run the Flotilla controller manager (reconciles WasmRuntime, WasmFunction, FunctionRoute, FunctionTrigger)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('-n, --namespace <ns>', 'namespace of the leader Lease and the trust policy ConfigMaps', 'flotilla-system')
    .option('--listen <host:port>', 'address of /metrics, /healthz and /readyz (port 0 picks a free one)', '127.0.0.1:8080')
    .option('--watch-namespace <ns>', 'reconcile objects in this namespace only (default: all namespaces)')
    .option('--no-leader-elect', 'act without the leader Lease (only for a single replica)')
    .option('--lease-duration <seconds>', 'leader Lease duration; the renew deadline is 2/3 of it, retries every 2/15 of it', '15')
    .option('--forget-nodes-after <seconds>', 'delete a node Lease (and its assignment) expired this long', '600')
    .option('--id <identity>', 'this replica in the leader Lease (default: hostname + random suffix)')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--audit-file <file>', 'append the audit log (hash-chained JSON lines of every Event recorded: verifications, placements, refusals; `flotilla audit verify`) to <file> instead of stdout')
    .option('--node-image <repository>', 'image repository of the node runtime DaemonSets (tag = WasmRuntime version, unless pinned)', 'flotilla/node-runtime')
    .option('--node-image-pin <version=image@sha256:hex>', 'the node runtime image a pool of this version runs, pinned by digest (repeatable)', collect, [])
    .option('--require-pinned-node-images', 'refuse to roll a pool whose version has no --node-image-pin (never run a mutable tag)')
    .action(async (flags: OperatorFlags) => {
      const log = pino({ level: flags.logLevel, base: { component: 'operator' } }, pino.destination(2));
      const listen = parseListen(flags.listen);
      const leaseSeconds = Number(flags.leaseDuration);
      if (!Number.isInteger(leaseSeconds) || leaseSeconds < 2) throw new FlotillaError('InvalidArgument', `--lease-duration: expected whole seconds >= 2, got ${JSON.stringify(flags.leaseDuration)}`);
      const nodeImagePins = parseNodeImagePins(flags.nodeImagePin);
      const forgetSeconds = Number(flags.forgetNodesAfter);
      if (!Number.isFinite(forgetSeconds) || forgetSeconds < 0) throw new FlotillaError('InvalidArgument', `--forget-nodes-after: expected seconds >= 0, got ${JSON.stringify(flags.forgetNodesAfter)}`);
      const source = findKubeConfig({ flag: flags.kubeconfig, env: process.env, homeDir: homedir() });
      const kubeConfig = loadKubeConfig(source);
      const identity = flags.id ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
      // Listening before it starts: a SIGTERM during start-up is dropped when this is a container's init (PID 1).
      const signalled = waitForSignal();
      const operator = await startOperator({
        kubeConfig,
        namespace: flags.namespace,
        identity,
        audit: openAuditLog(`operator/${identity}`, flags.auditFile),
        leaderElection: flags.leaderElect,
        // client-go's proportions (15 s / 10 s / 2 s).
        leaseDurationMs: leaseSeconds * 1000,
        renewDeadlineMs: Math.round((leaseSeconds * 2000) / 3),
        retryPeriodMs: Math.round((leaseSeconds * 2000) / 15),
        listen,
        log,
        nodeImage: flags.nodeImage,
        nodeImagePins,
        requirePinnedNodeImages: flags.requirePinnedNodeImages === true,
        nodeForgetAfterMs: forgetSeconds * 1000,
        watchNamespace: flags.watchNamespace,
      });
      const where = source.kind === 'in-cluster' ? 'in-cluster config' : `${source.path} (${source.from})`;
      process.stderr.write(
        `flotilla operator ${identity}: cluster ${kubeConfig.getCurrentCluster()?.server} from ${where}\n` +
          `serving metrics on ${operator.url}/metrics, health on ${operator.url}/healthz and ${operator.url}/readyz\n`,
      );
      // Reconciles in flight drain (their registry calls are abandoned), the leader Lease is
      // released; bounded below a pod's default 30 s termination grace.
      await stopOnSignal(log, OPERATOR_STOP_BOUND_MS, () => operator.stop(), signalled);
    });
}
