import { Argument } from 'commander';
import type { Command } from 'commander';
import { completionScript, SHELLS } from '../completion.ts';
import type { Shell } from '../completion.ts';

/** `flotilla completion bash|zsh|fish`: the shell completion script of every command and flag. */
export function register(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script: bash (source <(flotilla completion bash)), zsh (source <(flotilla completion zsh)) or fish (flotilla completion fish | source)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
}
