import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { startNode } from '../../node-runtime/node.ts';
import { ManifestDirSource } from '../../node-runtime/standalone/manifest-dir-source.ts';
import { loadTrust } from '../../node-runtime/standalone/trust.ts';
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
  logLevel: string;
}

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

/** `flotilla node`: the node runtime in standalone mode (desired state from a manifest directory). */
export function register(program: Command): void {
  program
    .command('node')
    .description('Run the node runtime: serve the functions and routes of a rendered manifest directory (watched for changes)')
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
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: NodeFlags) => {
      const logger = pino({ level: flags.logLevel, base: { component: 'node-runtime' } });
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
      });
      await waitForSignal();
      logger.info('Shutting down');
      await node.close();
    });
}
