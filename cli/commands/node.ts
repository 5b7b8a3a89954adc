import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { findKubeConfig, loadKubeConfig } from '../../operator/kubeconfig.ts';
import { NodeRuntimeError } from '../../node-runtime/errors.ts';
import { startNode } from '../../node-runtime/node.ts';
import { ManifestDirSource } from '../../node-runtime/standalone/manifest-dir-source.ts';
import { loadTrust } from '../../node-runtime/standalone/trust.ts';
import { LocalTickClaims } from '../../node-runtime/triggers/cron/claims.ts';
import { LeaseTickClaims } from '../../node-runtime/triggers/cron/lease-claims.ts';
import { intFlag } from './run.ts';

interface NodeFlags {
  manifests: string;
  port: string;
  host: string;
  cacheDir: string;
  cacheSizeMb: string;
  trustKey: string[];
  trustPolicy?: string;
  localStore?: string;
  workers?: string;
  queueLimit: string;
  stateDir: string;
  natsUrl?: string;
  nodeName?: string;
  cronClaims?: string;
  kubeconfig?: string;
  logLevel: string;
}

const NATS_URL = /^(nats|tls):\/\/[^\s/]+$/;

const collect = (v: string, prev: string[]) => [...prev, v];

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolveSignal(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** The cron claim kind chosen by --cron-claims; NATS is the EventRuntime's own default. */
function tickClaims(flags: NodeFlags): { tickClaims?: LocalTickClaims | LeaseTickClaims } {
  switch (flags.cronClaims) {
    case undefined:
      return {};
    case 'nats':
      if (flags.natsUrl === undefined) throw new NodeRuntimeError('InvalidArgument', '--cron-claims nats: expected --nats-url as well, got none');
      return {};
    case 'lease':
      return { tickClaims: new LeaseTickClaims(loadKubeConfig(findKubeConfig({ flag: flags.kubeconfig, env: process.env, homeDir: homedir() }))) };
    case 'local':
      return { tickClaims: new LocalTickClaims() };
    default:
      throw new NodeRuntimeError('InvalidArgument', `--cron-claims: expected nats, lease or local, got ${JSON.stringify(flags.cronClaims)}`);
  }
}

/** `flotilla node`: the node runtime in standalone mode (desired state from a manifest directory), event triggers and state included. */
export function register(program: Command): void {
  program
    .command('node')
    .description('Run the node runtime: serve the functions, routes and event triggers of a rendered manifest directory (watched for changes)')
    .requiredOption('--manifests <dir>', 'rendered manifests, e.g. gitops/clusters/<cluster>/')
    .option('-p, --port <n>', 'HTTP port (0 picks a free one)', '8080')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--cache-dir <dir>', 'module cache directory', join(homedir(), '.cache', 'flotilla', 'node'))
    .option('--cache-size-mb <n>', 'module cache size bound', '1024')
    .option('--trust-key <file>', 'PEM public key the node trusts (repeatable); nothing is trusted by default', collect, [])
    .option('--trust-policy <file>', 'trust policy JSON { keys, identities }')
    .option('--local-store <dir>', 'read registry references from OCI layouts under <dir>/<host>/<repo> (no registry)')
    .option('--workers <n>', 'invocation worker threads (default: max(2, CPUs))')
    .option('--queue-limit <n>', 'invocations waiting for a worker before 503', '256')
    .option('--state-dir <dir>', 'functions\' disk state (spec.state.store: disk), one directory per function', join(homedir(), '.local', 'state', 'flotilla', 'node'))
    .option('--nats-url <url>', 'the cluster\'s NATS (JetStream): chaining across nodes, cron tick claims, shared state (store: nats); without it the node runs alone')
    .option('--node-name <name>', 'this node\'s name in trigger claims and logs (default: the host name)')
    .option('--cron-claims <kind>', 'claim each cron tick once per cluster via "nats" (KV, the default with --nats-url), "lease" (coordination.k8s.io Leases, needs a kubeconfig) or "local" (every tick is this node\'s)')
    .option('--kubeconfig <file>', 'kubeconfig for --cron-claims lease (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: NodeFlags) => {
      const logger = pino({ level: flags.logLevel, base: { component: 'node-runtime' } });
      if (flags.natsUrl !== undefined && !NATS_URL.test(flags.natsUrl)) {
        throw new NodeRuntimeError('InvalidArgument', `--nats-url: expected nats://host:port or tls://host:port, got ${JSON.stringify(flags.natsUrl)}`);
      }
      const node = await startNode({
        source: new ManifestDirSource(resolve(flags.manifests), logger),
        logger,
        host: flags.host,
        port: intFlag('--port', flags.port, 0, 65535),
        cacheDir: flags.cacheDir,
        cacheMaxBytes: intFlag('--cache-size-mb', flags.cacheSizeMb, 1, 1 << 20) * (1 << 20),
        trust: await loadTrust(flags.trustKey, flags.trustPolicy),
        ...(flags.localStore !== undefined ? { pull: { localStore: resolve(flags.localStore) } } : {}),
        ...(flags.workers !== undefined ? { workers: intFlag('--workers', flags.workers, 1, 256) } : {}),
        queueLimit: intFlag('--queue-limit', flags.queueLimit, 0, 1_000_000),
        stateDir: resolve(flags.stateDir),
        ...(flags.natsUrl !== undefined ? { natsUrl: flags.natsUrl } : {}),
        ...(flags.nodeName !== undefined ? { nodeName: flags.nodeName } : {}),
        ...tickClaims(flags),
      });
      await waitForSignal();
      logger.info('Shutting down');
      await node.close();
    });
}
