import { homedir } from 'node:os';
import type { Command } from 'commander';
import type { WasmRuntime } from '../../api/index.ts';
import { isFlotillaError } from '../../api/errors.ts';
import { createKubeClient, findKubeConfig, loadKubeConfig, resourcePath, WASM_RUNTIME_TYPE, withContext } from '../../kube/index.ts';
import { outputOption, writeOutput } from '../output.ts';
import type { OutputFormat } from '../output.ts';
import { CLIENT_VERSION } from '../version.ts';

interface VersionFlags {
  output: 'table' | 'json' | 'yaml';
  client?: boolean;
  kubeconfig?: string;
  context?: string;
}

interface ServerVersion {
  readonly context: string;
  readonly kubernetes: string;
  /** Each WasmRuntime pool: the version it asks for and the one every ready node runs. */
  readonly pools: readonly { readonly pool: string; readonly version: string; readonly running: string; readonly readyNodes: string }[];
}

/** What the cluster a kubeconfig names runs: the API server's version and each node runtime pool's. */
async function serverVersion(flags: VersionFlags): Promise<ServerVersion> {
  const source = findKubeConfig({ flag: flags.kubeconfig, env: process.env, homeDir: homedir() });
  const base = loadKubeConfig(source);
  const kc = flags.context !== undefined ? withContext(base, flags.context, source.kind === 'file' ? source.path : 'the in-cluster service account') : base;
  const client = createKubeClient(kc);
  const kube = await client.request<{ gitVersion: string }>({ method: 'GET', path: '/version' });
  const runtimes = await client.request<{ items: WasmRuntime[] }>({ method: 'GET', path: resourcePath(WASM_RUNTIME_TYPE) }).catch(() => ({ items: [] as WasmRuntime[] }));
  return {
    context: kc.getCurrentContext(),
    kubernetes: kube.gitVersion,
    pools: runtimes.items.map((r) => ({
      pool: `${r.metadata.namespace ?? ''}/${r.metadata.name}`,
      version: r.spec.version,
      running: r.status?.currentVersion ?? '-',
      readyNodes: `${r.status?.readyNodes ?? 0}/${r.status?.desiredNodes ?? 0}`,
    })),
  };
}

/** `flotilla version`: the client's version, and the server parts a kubeconfig reaches (as `kubectl version`). */
export function register(program: Command): void {
  program
    .command('version')
    .description('Print the client version, and the Kubernetes API server and node runtime pool versions of the cluster a kubeconfig reaches')
    .addOption(outputOption(['table', 'json', 'yaml'], 'the versions'))
    .option('--client', 'the client only: do not contact a cluster')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .action(async (flags: VersionFlags) => {
      const client = { version: CLIENT_VERSION, node: process.version, platform: `${process.platform}/${process.arch}` };
      const asked = flags.kubeconfig !== undefined || flags.context !== undefined;
      let server: ServerVersion | undefined;
      let failure: unknown;
      if (flags.client !== true) {
        try {
          server = await serverVersion(flags);
        } catch (err) {
          // Without --kubeconfig/--context a missing cluster is not an error: print the client, as kubectl does.
          if (asked || !isFlotillaError(err, 'KubeConfigNotFound')) failure = err;
        }
      }
      const format: OutputFormat = flags.output;
      writeOutput(format, { client, ...(server !== undefined ? { server } : {}) }, () =>
        [
          `Client Version: ${client.version} (Node ${client.node}, ${client.platform})`,
          ...(server !== undefined
            ? [`Server (context ${server.context}): Kubernetes ${server.kubernetes}`, ...server.pools.map((p) => `  pool ${p.pool}: version ${p.version}, running ${p.running} on ${p.readyNodes} nodes`)]
            : []),
        ].join('\n'),
      );
      if (failure !== undefined) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
    });
}
