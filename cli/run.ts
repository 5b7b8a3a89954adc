import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { isFlotillaError } from '../api/errors.ts';
import { exitCodeFor } from './exit-codes.ts';
import { describeSystemError } from './system-errors.ts';

/**
 * Parses argv, runs the command and turns errors into one stderr line and a stable exit code:
 * a FlotillaError as `code: message`, an operating-system error (a missing file, a taken port) as
 * what failed and the fix, anything else as an internal error. The stack trace only with --debug.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  const debug = argv.includes('--debug') || process.env['FLOTILLA_DEBUG'] === '1';
  try {
    await program.parseAsync(argv);
  } catch (err) {
    fail(err, debug);
    // A failed command is over: whatever it started (a server, retry timers) must not keep the process up.
    process.exit();
  }
}

/** Writes the one line for `err` and sets the exit code. */
function fail(err: unknown, debug: boolean): void {
  if (err instanceof CommanderError) {
    // Help and --version exit 0; every usage error (unknown flag, missing argument, bad choice) exits 2.
    process.exitCode = err.exitCode === 0 ? 0 : exitCodeFor('InvalidArgument');
    return;
  }
  const stack = debug && err instanceof Error && err.stack !== undefined ? `\n${err.stack}` : '';
  if (isFlotillaError(err)) {
    process.stderr.write(`flotilla: ${err.code}: ${err.message}${stack}\n`);
    process.exitCode = exitCodeFor(err.code);
    return;
  }
  const system = describeSystemError(err);
  if (system !== undefined) {
    process.stderr.write(`flotilla: ${system.code}: ${system.message}${stack}\n`);
    process.exitCode = exitCodeFor(system.code);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`flotilla: internal error: ${message}${stack !== '' ? stack : ' (run again with --debug for the stack trace, and report it)'}\n`);
  process.exitCode = 1;
}

/** Every command's usage error prints its usage line and where the flags are listed, not the whole help. */
export function usageOnError(cmd: Command, path: string): void {
  // exitOverride is not inherited by commands registered before it is set: without it a subcommand's usage error calls process.exit(1) itself.
  cmd.exitOverride();
  cmd.showHelpAfterError(`Usage: ${path} ${cmd.usage()}\n(${path} --help lists every flag)`);
  for (const sub of cmd.commands) usageOnError(sub, `${path} ${sub.name()}`);
}
