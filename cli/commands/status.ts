import { homedir } from 'node:os';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';
import { ArgoCdApi } from '../../devenv/fleet/argocd-api.ts';
import { FleetError } from '../../devenv/fleet/errors.ts';
import { alive, fleetPaths, readState } from '../../devenv/fleet/state.ts';
import { collectRows, collectStatus } from '../../devenv/fleet/status.ts';
import type { FunctionRow, StatusCluster } from '../../devenv/fleet/status.ts';
import { createKubeClient, findKubeConfig, loadKubeConfig, withContext } from '../../kube/index.ts';
import { collect } from './artifact-common.ts';
import { outputOption, writeOutput } from '../output.ts';
import type { OutputFormat } from '../output.ts';

interface StatusFlags {
  output: OutputFormat;
  watch?: boolean;
  interval: string;
  kubeconfig?: string;
  context: string[];
  argocdServer?: string;
}

function table(rows: readonly FunctionRow[], wide: boolean): string {
  const head = ['CLUSTER', 'FUNCTION', 'SYNC', 'HEALTH', 'READY', 'VERIFIED', 'DIGEST', 'INSTANCES', 'NODES', ...(wide ? ['MESSAGE'] : [])];
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) {
    t.push([r.cluster, r.function, r.sync, r.health, r.ready, r.verified, wide ? r.digest : r.digest.slice(0, 19), r.instances, r.nodes.join(','), ...(wide ? [r.healthMessage] : [])]);
  }
  const problems = wide ? [] : rows.filter((r) => r.health !== 'Healthy' && r.healthMessage !== '').map((r) => `  ${r.cluster} ${r.function}: ${r.healthMessage}`);
  return `${rows.length === 0 ? 'no WasmFunctions found' : t.toString()}\n${problems.length > 0 ? `\n${problems.join('\n')}\n` : ''}`;
}

/** The clusters `--kubeconfig`/`--context` name (kubectl's lookup order), each under its context's name. */
function namedClusters(flags: StatusFlags): StatusCluster[] {
  const source = findKubeConfig({ flag: flags.kubeconfig, env: process.env, homeDir: homedir() });
  const where = source.kind === 'file' ? source.path : 'the in-cluster service account';
  const base = loadKubeConfig(source);
  const contexts = flags.context.length > 0 ? flags.context : [base.getCurrentContext()];
  return contexts.map((name) => {
    const kc = flags.context.length > 0 ? withContext(base, name, where) : base;
    const server = kc.getCurrentCluster()?.server;
    return { name: name || 'in-cluster', client: createKubeClient(kc), ...(server !== undefined ? { server } : {}) };
  });
}

/** Argo CD from --argocd-server (or $ARGOCD_SERVER) with the API token in $ARGOCD_AUTH_TOKEN, as the argocd CLI reads them. */
function argoFromFlags(flags: StatusFlags): ArgoCdApi | undefined {
  const server = flags.argocdServer ?? process.env['ARGOCD_SERVER'];
  if (server === undefined || server === '') return undefined;
  const url = /^https?:\/\//.test(server) ? server : `https://${server}`;
  try {
    new URL(url);
  } catch {
    throw new FlotillaError('InvalidArgument', `--argocd-server: expected a URL or host[:port], got ${JSON.stringify(server)}`);
  }
  const token = process.env['ARGOCD_AUTH_TOKEN'];
  if (token === undefined || token === '') throw new FlotillaError('InvalidArgument', '--argocd-server: expected an API token in $ARGOCD_AUTH_TOKEN (`argocd account generate-token`), got none');
  return new ArgoCdApi(url, { token });
}

/** The local fleet `flotilla up` recorded, if it is up and ready. */
async function localFleetRows(): Promise<FunctionRow[]> {
  const paths = fleetPaths();
  const state = readState(paths);
  if (!state) throw new FleetError('FleetNotUp', 'no local fleet is up; start one with `flotilla up`, or name a cluster with --kubeconfig/--context');
  if (!alive(state.supervisorPid)) throw new FleetError('FleetNotUp', `no local fleet is up: the one recorded in ${paths.stateFile} stopped (its supervisor, pid ${state.supervisorPid}, is gone); \`flotilla down\` clears what it left, \`flotilla up\` starts a new one`);
  if (state.phase !== 'ready') throw new FleetError('FleetNotUp', `the local fleet is ${state.phase}, not ready; wait for \`flotilla up\` to finish or run \`flotilla down\``);
  return collectStatus(state);
}

/** `flotilla status`: clusters x functions, from Argo CD and the clusters: the local fleet, or any clusters a kubeconfig reaches. */
export function register(program: Command): void {
  program
    .command('status')
    .description('Clusters x functions: Argo CD sync and health, Ready, signature, digest, instances, nodes. The local fleet by default; --kubeconfig/--context for any cluster')
    .addOption(outputOption(['table', 'wide', 'json', 'yaml', 'name'], 'the functions (name: cluster/namespace/function)'))
    .option('-w, --watch', 'redraw until interrupted')
    .option('--interval <seconds>', 'refresh interval with --watch', '2')
    .option('--kubeconfig <file>', 'read clusters from this kubeconfig instead of the local fleet (default lookup: $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'a kubeconfig context to read (repeatable; default: the current context when --kubeconfig is given)', collect, [])
    .option('--argocd-server <url>', 'Argo CD API server for sync and health (default: $ARGOCD_SERVER; token in $ARGOCD_AUTH_TOKEN)')
    .action(async (flags: StatusFlags) => {
      const interval = Number(flags.interval);
      if (!(interval > 0)) throw new FlotillaError('InvalidArgument', `--interval: expected seconds > 0, got ${JSON.stringify(flags.interval)}`);
      const named = flags.kubeconfig !== undefined || flags.context.length > 0;
      const clusters = named ? namedClusters(flags) : undefined;
      const argo = named ? argoFromFlags(flags) : undefined;
      for (;;) {
        const rows = clusters !== undefined ? await collectRows(clusters, argo) : await localFleetRows();
        if (flags.watch === true && (flags.output === 'table' || flags.output === 'wide') && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        writeOutput(flags.output, { functions: rows }, () => table(rows, flags.output === 'wide'), () => rows.map((r) => `${r.cluster}/${r.function}`));
        if (flags.watch !== true) return;
        await new Promise((r) => setTimeout(r, interval * 1000));
      }
    });
}
