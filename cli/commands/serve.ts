import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { NODE_DEFAULTS, startNode } from '../../node-runtime/node.ts';
import type { DesiredState } from '../../node-runtime/resolve/desired-state.ts';
import { functionFromArg, parseEnv } from '../../node-runtime/standalone/module-arg.ts';
import { loadTrust } from '../../node-runtime/standalone/trust.ts';
import { CLI_CACHE_DIR, intFlag } from './run.ts';
import { waitForSignal } from '../signals.ts';

interface ServeFlags {
  port: string;
  host: string;
  env: string[];
  trustKey: string[];
  trustPolicy?: string;
  localStore?: string;
  cacheDir: string;
  logLevel: string;
  workers?: string;
  /** False with --no-worker-listeners. */
  workerListeners: boolean;
  adminPort: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `flotilla serve`: one WAGI module over HTTP on every path, with the node's default limits. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve one WAGI module (file or OCI reference) over HTTP on every path, with default limits')
    .argument('<module>', 'a .wasm file, or an OCI reference (verified against --trust-key/--trust-policy)')
    .option('-p, --port <n>', 'port (0 picks a free one)', '8080')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--env <NAME=value>', 'environment variable for the module (repeatable)', collect, [])
    .option('--trust-key <file>', 'PEM public key trusted for OCI modules (repeatable)', collect, [])
    .option('--trust-policy <file>', 'trust policy JSON { keys, identities }')
    .option('--local-store <dir>', 'read registry references from OCI layouts under <dir>/<host>/<repo>')
    .option('--cache-dir <dir>', 'module cache directory', CLI_CACHE_DIR)
    .option('--workers <n>', 'invocation worker threads, and as many listener threads (default: max(2, CPUs))')
    .option('--no-worker-listeners', 'the main thread serves the port and every request hops to a worker (default: listener threads serve it and run plain requests inline)')
    .option('--admin-port <n>', 'admin port: /healthz, /readyz, /metrics (0 picks a free one)', '0')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (module: string, flags: ServeFlags) => {
      const logger = pino({ level: flags.logLevel, base: { component: 'node-runtime' } }, pino.destination(2));
      const pull = flags.localStore !== undefined ? { localStore: flags.localStore } : {};
      const fn = await functionFromArg(module, { memoryPages: 256, timeoutMs: 5000, concurrency: 8, env: parseEnv(flags.env), preopens: [], pull });
      const state: DesiredState = {
        functions: new Map([[fn.key, fn]]),
        routes: [{ key: fn.key, host: '*', pathPrefix: '/', methods: [], backends: [{ functionKey: fn.key, weight: 100 }], timeoutMs: 30_000 }],
        triggers: [],
      };
      const node = await startNode({
        source: { start: (apply) => Promise.resolve(apply(state)), close: () => Promise.resolve() },
        logger,
        host: flags.host,
        port: intFlag('--port', flags.port, 0, 65535),
        adminPort: intFlag('--admin-port', flags.adminPort, 0, 65535),
        ...(flags.workers !== undefined ? { workers: intFlag('--workers', flags.workers, 1, 256) } : {}),
        workerListeners: flags.workerListeners,
        cacheDir: fn.module.kind === 'oci' ? flags.cacheDir : join(tmpdir(), 'flotilla-serve-cache'),
        trust: await loadTrust(flags.trustKey, flags.trustPolicy),
        pull,
      });
      process.stderr.write(`flotilla: serving ${module} on ${node.url} (limits: ${fn.memoryPages} pages, ${fn.timeoutMs} ms, request ${NODE_DEFAULTS.maxRequestBytes} B; admin ${node.adminUrl})\n`);
      await waitForSignal();
      await node.close();
    });
}
