/**
 * Where `flotilla check` finds the committed render and how it renders the manifests afresh: from
 * the flags first, else from the repository's cdk8s.yaml (`output`, `app`). Pure: the caller reads
 * the file.
 */
import { relative, resolve } from 'node:path';
import { CheckError } from './problem.ts';
import { SYNTH_CONFIG_FILE } from './synth-config.ts';
import type { SynthConfig } from './synth-config.ts';

/** The flags that choose the inputs, paths already absolute. */
export interface SourceFlags {
  /** The repository root: where cdk8s.yaml is and where the render command runs. */
  readonly repo: string;
  /** --gitops: the committed render. */
  readonly gitops: string | undefined;
  /** --synth-command: renders into $CDK8S_OUTDIR instead of cdk8s.yaml's app. */
  readonly synthCommand: string | undefined;
  /** Compare with a fresh render (off with --no-stale). */
  readonly stale: boolean;
}

/** A shell command that renders the manifests into the folder $CDK8S_OUTDIR names. */
export interface Render {
  readonly command: string;
  /** The repository root. */
  readonly cwd: string;
  /** Where the command came from, for messages (`app in /repo/cdk8s.yaml`, `--synth-command`). */
  readonly origin: string;
  /** What a person runs to re-render the committed folder, in backticks (`cdk8s synth`). */
  readonly rerun: string;
}

/** What check reads and runs. */
export interface Sources {
  readonly gitopsDir: string;
  /** Where gitopsDir came from, for messages. */
  readonly gitopsOrigin: string;
  /** The fresh render to compare with; undefined when staleness is not checked. */
  readonly fresh: Render | undefined;
  /** What a person runs to re-render gitopsDir (also with --no-stale); undefined when nothing says how. */
  readonly rerun: string | undefined;
}

/** `path` relative to `base` when inside it (reads better in a CI log), else absolute rather than a chain of ../ */
export function shortPath(base: string, path: string): string {
  const rel = relative(base, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function notFound(repo: string, needed: string, fix: string): CheckError {
  return new CheckError('SynthConfigNotFound', `no ${SYNTH_CONFIG_FILE} in ${repo}: expected the GitOps repository's ${SYNTH_CONFIG_FILE} for ${needed}; run flotilla check in the repository root or pass --repo <dir>, or ${fix}`);
}

/** The inputs for `flags` and the repository's cdk8s.yaml (undefined: there is none); `cwd` shortens paths in hints. */
export function resolveSources(flags: SourceFlags, config: SynthConfig | undefined, cwd: string): Sources {
  const { repo } = flags;
  let gitopsDir: string;
  let gitopsOrigin: string;
  if (flags.gitops !== undefined) {
    gitopsDir = flags.gitops;
    gitopsOrigin = '--gitops';
  } else if (config !== undefined) {
    gitopsDir = resolve(repo, config.output);
    gitopsOrigin = `output in ${config.file}`;
  } else {
    throw notFound(repo, 'its output: (the folder of rendered manifests)', 'pass --gitops <dir>');
  }

  const cd = repo === cwd ? '' : `cd ${shortPath(cwd, repo)} && `;
  const outdir = shortPath(repo, gitopsDir);
  // cdk8s synth empties its output folder and runs app with CDK8S_OUTDIR naming it; a bare command
  // is handed the same variable.
  let render: Render | undefined;
  if (flags.synthCommand !== undefined) {
    render = { command: flags.synthCommand, cwd: repo, origin: '--synth-command', rerun: `\`${cd}CDK8S_OUTDIR=${outdir} ${flags.synthCommand}\`` };
  } else if (config?.app !== undefined) {
    const output = gitopsDir === resolve(repo, config.output) ? '' : ` --output ${outdir}`;
    render = { command: config.app, cwd: repo, origin: `app in ${config.file}`, rerun: `\`${cd}cdk8s synth${output}\`` };
  }
  if (flags.stale && render === undefined) {
    if (config === undefined) throw notFound(repo, 'its app: (the command that renders the manifests, for the staleness check)', 'pass --synth-command "<cmd>", or --no-stale to skip the staleness check');
    throw new CheckError('SynthConfigInvalid', `${config.file}: app: expected the command that renders the manifests (e.g. app: node main.ts), got none; add it, pass --synth-command "<cmd>", or --no-stale to skip the staleness check`);
  }
  return { gitopsDir, gitopsOrigin, fresh: flags.stale ? render : undefined, rerun: render?.rerun };
}
