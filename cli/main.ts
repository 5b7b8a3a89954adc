#!/usr/bin/env node
// `flotilla`: the user's single entry point. Each subcommand lives in cli/commands/<name>.ts and
// registers itself through cli/commands/index.ts, so adding one touches no other command.
import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';
import { runCli } from './run.ts';

const program = new Command('flotilla')
  .description('GitOps-driven WebAssembly functions on Kubernetes edge clusters')
  .version('0.1.0')
  .showHelpAfterError();

await registerCommands(program, process.argv);
await runCli(program, process.argv);
