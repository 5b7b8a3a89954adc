import Table from 'cli-table3';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { FlotillaError } from '../../api/errors.ts';
import { FleetError } from '../../devenv/fleet/errors.ts';
import { alive, fleetPaths, readState } from '../../devenv/fleet/state.ts';
import { collectStatus } from '../../devenv/fleet/status.ts';
import type { FunctionRow } from '../../devenv/fleet/status.ts';

interface StatusFlags {
  output: string;
  watch?: boolean;
  interval: string;
}

function table(rows: readonly FunctionRow[]): string {
  const t = new Table({ head: ['CLUSTER', 'FUNCTION', 'SYNC', 'HEALTH', 'READY', 'VERIFIED', 'DIGEST', 'INSTANCES', 'NODES'], style: { head: [], border: [] } });
  for (const r of rows) t.push([r.cluster, r.function, r.sync, r.health, r.ready, r.verified, r.digest.slice(0, 19), r.instances, r.nodes.join(',')]);
  const problems = rows.filter((r) => r.health !== 'Healthy' && r.healthMessage !== '').map((r) => `  ${r.cluster} ${r.function}: ${r.healthMessage}`);
  return `${t.toString()}\n${problems.length > 0 ? `\n${problems.join('\n')}\n` : ''}`;
}

/** `flotilla status`: clusters x functions of the local fleet, from Argo CD and the clusters. */
export function register(program: Command): void {
  program
    .command('status')
    .description('Clusters x functions of the local fleet: Argo CD sync and health, Ready, signature, digest, instances, nodes')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .option('-w, --watch', 'redraw until interrupted')
    .option('--interval <seconds>', 'refresh interval with --watch', '2')
    .action(async (flags: StatusFlags) => {
      if (!['table', 'json', 'yaml'].includes(flags.output)) throw new FlotillaError('InvalidArgument', `--output: expected table, json or yaml, got ${JSON.stringify(flags.output)}`);
      const interval = Number(flags.interval);
      if (!(interval > 0)) throw new FlotillaError('InvalidArgument', `--interval: expected seconds > 0, got ${JSON.stringify(flags.interval)}`);
      const paths = fleetPaths();
      for (;;) {
        const state = readState(paths);
        if (!state) throw new FleetError('FleetNotUp', 'no local fleet is up; start one with `flotilla up`');
        if (!alive(state.supervisorPid)) throw new FleetError('FleetNotUp', `no local fleet is up: the one recorded in ${paths.stateFile} stopped (its supervisor, pid ${state.supervisorPid}, is gone); \`flotilla down\` clears what it left, \`flotilla up\` starts a new one`);
        if (state.phase !== 'ready') throw new FleetError('FleetNotUp', `the local fleet is ${state.phase}, not ready; wait for \`flotilla up\` to finish or run \`flotilla down\``);
        const rows = await collectStatus(state);
        const out = flags.output === 'json' ? `${JSON.stringify({ functions: rows }, null, 2)}\n` : flags.output === 'yaml' ? stringify({ functions: rows }) : table(rows);
        if (flags.watch === true && flags.output === 'table' && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        process.stdout.write(out);
        if (flags.watch !== true) return;
        await new Promise((r) => setTimeout(r, interval * 1000));
      }
    });
}
