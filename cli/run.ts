import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { isFlotillaError } from '../api/errors.ts';
import { exitCodeFor } from './exit-codes.ts';

/** Parses argv, runs the command and turns errors into one stderr line and a stable exit code. */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (isFlotillaError(err)) {
      process.stderr.write(`flotilla: ${err.code}: ${err.message}\n`);
      process.exitCode = exitCodeFor(err.code);
      return;
    }
    process.stderr.write(`flotilla: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
