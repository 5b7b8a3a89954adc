#!/usr/bin/env node
// `flotilla`: the user's single entry point. Each subcommand lives in cli/commands/<name>.ts and
// registers itself through cli/commands/index.ts, so adding one touches no other command.
import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';
import { runCli, usageOnError } from './run.ts';
import { CLIENT_VERSION } from './version.ts';

// A reader that stops early (`flotilla completion bash | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('flotilla')
  .description('GitOps-driven WebAssembly functions on Kubernetes edge clusters')
  .version(CLIENT_VERSION)
  .option('--debug', 'print the stack trace of an error')
  .showHelpAfterError('(flotilla --help lists the commands)')
  // Usage errors read like every other error: `flotilla: usage: <what>`, then the usage line.
  .configureOutput({ outputError: (text, write) => write(`flotilla: ${text.replace(/^error: /, 'usage: ')}`) });

await registerCommands(program, process.argv);
program.exitOverride();
for (const cmd of program.commands) usageOnError(cmd, `flotilla ${cmd.name()}`);
await runCli(program, process.argv);
