// Shell completion scripts generated from the command tree itself, so a new command or flag is
// completed without anyone editing a script: command names (nested ones too, `audit verify`),
// each command's flags, and the choices of a flag that has them (`-o table|json|...`).
import type { Command, Option } from 'commander';

/** The shells `flotilla completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Entry {
  /** The words after `flotilla` naming this command, e.g. ['audit', 'verify']. */
  readonly path: readonly string[];
  readonly description: string;
  readonly subcommands: readonly string[];
  readonly options: readonly Option[];
}

function entries(cmd: Command, path: readonly string[] = []): Entry[] {
  const own: Entry = { path, description: cmd.description(), subcommands: cmd.commands.map((c) => c.name()), options: cmd.options };
  return [own, ...cmd.commands.flatMap((c) => entries(c, [...path, c.name()]))];
}

function flags(o: Option): string[] {
  return [o.short, o.long].filter((f): f is string => f !== undefined);
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(program: Command): string {
  const name = program.name();
  const all = entries(program);
  const cases = all.map((e) => {
    const words = [...e.subcommands, ...e.options.flatMap(flags), '--help'];
    const choices = e.options
      .filter((o) => o.argChoices !== undefined)
      .map((o) => `      ${flags(o).join('|')}) COMPREPLY=($(compgen -W ${quote(o.argChoices!.join(' '))} -- "$cur")); return ;;`);
    return `    ${quote(e.path.join(' '))})\n      case "$prev" in\n${choices.join('\n')}${choices.length > 0 ? '\n' : ''}      esac\n      COMPREPLY=($(compgen -W ${quote(words.join(' '))} -- "$cur")) ;;`;
  });
  return `# bash completion for ${name}: source <(${name} completion bash)
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" w i
  # The command path: the leading words that name (sub)commands.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && break
    case "$(_${name}_subcommands "$path")" in *" $w "*) path="\${path:+$path }$w" ;; *) break ;; esac
  done
  case "$path" in
${cases.join('\n')}
  esac
}
_${name}_subcommands() {
  case "$1" in
${all.map((e) => `    ${quote(e.path.join(' '))}) echo ${quote(` ${e.subcommands.join(' ')} `)} ;;`).join('\n')}
  esac
}
complete -o default -F _${name} ${name}
`;
}

function fish(program: Command): string {
  const name = program.name();
  const lines = [`# fish completion for ${name}: ${name} completion fish | source`, `complete -c ${name} -f`];
  const all = entries(program);
  for (const e of all) {
    const condition = e.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${e.path[e.path.length - 1]}`;
    const parent = e.path.length === 0 ? '__fish_use_subcommand' : `'__fish_seen_subcommand_from ${e.path[e.path.length - 1]}'`;
    for (const sub of e.subcommands) {
      const child = all.find((x) => x.path.join(' ') === [...e.path, sub].join(' '));
      lines.push(`complete -c ${name} -n ${parent} -a ${sub} -d ${quote((child?.description ?? '').slice(0, 80))}`);
    }
    for (const o of e.options) {
      const short = o.short !== undefined ? ` -s ${o.short.slice(1)}` : '';
      const long = o.long !== undefined ? ` -l ${o.long.slice(2)}` : '';
      const args = o.argChoices !== undefined ? ` -x -a ${quote(o.argChoices.join(' '))}` : o.required || o.optional ? ' -r' : '';
      lines.push(`complete -c ${name} -n ${quote(condition)}${short}${long}${args} -d ${quote(o.description.slice(0, 80))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function zsh(program: Command): string {
  // zsh runs bash completion functions through bashcompinit: one generator, the same behaviour.
  return `#compdef ${program.name()}\n# zsh completion for ${program.name()}: source <(${program.name()} completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash(program)}`;
}

/** The completion script for `shell` of the program's whole command tree. */
export function completionScript(program: Command, shell: Shell): string {
  return shell === 'bash' ? bash(program) : shell === 'zsh' ? zsh(program) : fish(program);
}
