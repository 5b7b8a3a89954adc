import type { Command } from 'commander';
import { register as registerOperator } from './operator.ts';

/** Adds every subcommand to the program. One import + one line per command file. */
export function registerCommands(program: Command): void {
  registerOperator(program);
}
