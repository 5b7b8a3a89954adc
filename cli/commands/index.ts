import type { Command } from 'commander';

/** Adds every subcommand to the program. One import + one line per command file. */
export function registerCommands(program: Command): void {
  void program;
}
