import { Option } from 'commander';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';
import { startSupervisor, takeDown } from '../../devenv/fleet/lifecycle.ts';
import { checkFleetTools } from '../../devenv/fleet/preflight.ts';
import { alive, fleetPaths, readState } from '../../devenv/fleet/state.ts';
import { step } from '../../devenv/fleet/steps.ts';
import { summary } from '../../devenv/fleet/summary.ts';
import { supervise } from '../../devenv/fleet/supervisor.ts';
import { progress } from './artifact-common.ts';

interface UpFlags {
  supervise?: boolean;
  timeout: string;
}

/**
 * `flotilla up`: a local fleet on loopback (registry, git server, Argo CD, two edge clusters with an
 * operator and two node runtimes each), the examples built, pushed, signed, rendered and committed.
 * A second `up` reuses a running fleet; `flotilla down` undoes it.
 */
export function register(program: Command): void {
  program
    .command('up')
    .description('Start a local fleet on loopback: registry, git server, Argo CD, two edge clusters (operator + two node runtimes each), the examples signed and synced')
    .option('--timeout <seconds>', 'give up (and stop what started) after this long', '900')
    .addOption(new Option('--supervise', 'run the fleet in this process (what up starts detached)').hideHelp())
    .action(async (flags: UpFlags) => {
      const paths = fleetPaths();
      if (flags.supervise === true) {
        process.exitCode = await supervise(paths, (line) => process.stdout.write(`${line}\n`));
        return;
      }
      const timeoutS = Number(flags.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new FlotillaError('InvalidArgument', `--timeout: expected seconds > 0, got ${JSON.stringify(flags.timeout)}`);
      const existing = readState(paths);
      if (existing && alive(existing.supervisorPid) && existing.phase === 'ready') {
        progress(`a local fleet is already up (supervisor pid ${existing.supervisorPid}); reusing it`);
        process.stdout.write(`${summary(existing)}\n`);
        return;
      }
      if (existing) {
        progress(`cleaning up a fleet that is ${alive(existing.supervisorPid) ? existing.phase : 'no longer running'} (${existing.workDir})`);
        await takeDown(paths, existing, progress);
      }
      const t = performance.now();
      // Before anything starts: a missing binary fails here, not as a server that never came up.
      await step({ log: progress, timings: {} }, 'tools', () => Promise.resolve(progress(`    ${checkFleetTools()} executables found`)));
      const state = await startSupervisor(paths, progress, timeoutS * 1000);
      progress(`flotilla up took ${((performance.now() - t) / 1000).toFixed(1)} s`);
      process.stdout.write(`${summary(state)}\n`);
    });
}
