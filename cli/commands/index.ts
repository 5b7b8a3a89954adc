import type { Command } from 'commander';

type CommandModule = { register(program: Command): void };

/**
 * Every subcommand, in help order: one line per command file. Modules load lazily: a command pulls
 * in the operator, the engine or the artifact client, and `flotilla push` should not pay for all of
 * them at start-up.
 */
const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  up: () => import('./up.ts'),
  down: () => import('./down.ts'),
  status: () => import('./status.ts'),
  check: () => import('./check.ts'),
  push: () => import('./push.ts'),
  pull: () => import('./pull.ts'),
  sign: () => import('./sign.ts'),
  verify: () => import('./verify.ts'),
  inspect: () => import('./inspect.ts'),
  run: () => import('./run.ts'),
  serve: () => import('./serve.ts'),
  node: () => import('./node.ts'),
  operator: () => import('./operator.ts'),
  audit: () => import('./audit.ts'),
  nats: () => import('./nats.ts'),
  keygen: () => import('./keygen.ts'),
  version: () => import('./version.ts'),
  completion: () => import('./completion.ts'),
};

/** Commands that need every other command registered (completion describes the whole tree). */
const NEEDS_ALL: ReadonlySet<string> = new Set(['completion']);

/** The subcommand argv names, if it is one of ours (argv as process.argv: node, script, ...). */
export function invokedCommand(argv: readonly string[]): string | undefined {
  const first = argv.slice(2).find((arg) => !arg.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

/** Adds the invoked subcommand to the program, or all of them (help, version, unknown names). */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const invoked = invokedCommand(argv);
  const names = invoked !== undefined && !NEEDS_ALL.has(invoked) ? [invoked] : Object.keys(COMMANDS);
  const modules = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const module of modules) module.register(program);
}
