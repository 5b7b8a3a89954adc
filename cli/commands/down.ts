import type { Command } from 'commander';
import { takeDown } from '../../devenv/fleet/lifecycle.ts';
import { fleetPaths, readState } from '../../devenv/fleet/state.ts';
import { progress } from './artifact-common.ts';

/** `flotilla down`: stops the local fleet of `flotilla up` and removes its temp dirs. */
export function register(program: Command): void {
  program
    .command('down')
    .description('Stop the local fleet started by flotilla up and remove its temp dirs')
    .action(async () => {
      const paths = fleetPaths();
      const state = readState(paths);
      if (!state) {
        progress('no local fleet is up (nothing recorded in ' + paths.stateFile + ')');
        return;
      }
      const t = performance.now();
      await takeDown(paths, state, progress);
      progress(`local fleet stopped and ${state.workDir} removed (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    });
}
