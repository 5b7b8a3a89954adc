import { resolve } from 'node:path';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';
import { outputOption, renderDocument } from '../output.ts';
import { CheckError, formatProblem } from '../check/problem.ts';
import { runCheck } from '../check/run.ts';
import { resolveSources, shortPath } from '../check/sources.ts';
import { readSynthConfig } from '../check/synth-config.ts';
import { progress, storeOptions } from './artifact-common.ts';

interface CheckFlags {
  repo: string;
  gitops?: string;
  synthCommand?: string;
  stale: boolean;
  registry: boolean;
  insecure?: boolean;
  retries: string;
  output: 'table' | 'json' | 'yaml';
}

/**
 * `flotilla check`: what a pull request's CI runs on a GitOps repository. Prints one line per
 * problem (file: object: field: message) and exits non-zero when there is any.
 */
export function register(program: Command): void {
  program
    .command('check')
    .description('Check a GitOps repository: rendered output not stale (its cdk8s.yaml app renders the same bytes), manifests valid against the CRD schemas, module digests resolvable and signed by a key or identity the cluster trusts')
    .option('--repo <dir>', 'the GitOps repository: its cdk8s.yaml names the rendered folder (output) and the command that renders it (app)', '.')
    .option('--gitops <dir>', 'the rendered manifests to check (default: output in cdk8s.yaml)')
    .option('--synth-command <cmd>', 'renders the manifests into $CDK8S_OUTDIR, run by a shell in --repo (default: app in cdk8s.yaml)')
    .option('--no-stale', 'skip rendering afresh and comparing with the committed manifests')
    .option('--no-registry', 'skip resolving and verifying module references (no network)')
    .option('--insecure', 'plain http to non-loopback registries (loopback registries always use http)')
    .option('--retries <n>', 'retries of a failed registry request', '2')
    .addOption(outputOption(['table', 'json', 'yaml'], 'the problems (table: one line each)'))
    .action(async (flags: CheckFlags) => {
      const retries = Number(flags.retries);
      if (!Number.isInteger(retries) || retries < 0) throw new FlotillaError('InvalidArgument', `--retries: expected a whole number >= 0, got ${JSON.stringify(flags.retries)}`);
      if (flags.synthCommand?.trim() === '') throw new FlotillaError('InvalidArgument', '--synth-command: expected a command that renders the manifests into $CDK8S_OUTDIR, got ""');
      const cwd = process.cwd();
      const repo = resolve(flags.repo);
      const sources = resolveSources(
        { repo, gitops: flags.gitops === undefined ? undefined : resolve(flags.gitops), synthCommand: flags.synthCommand, stale: flags.stale },
        await readSynthConfig(repo),
        cwd,
      );
      const problems = await runCheck({
        sources,
        baseDir: cwd,
        registry: flags.registry ? { store: storeOptions({ output: flags.output, insecure: flags.insecure === true }, { transport: { retries } }) } : undefined,
        log: progress,
      });
      if (flags.output !== 'table') process.stdout.write(renderDocument(flags.output, { problems }));
      else for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      const shown = shortPath(cwd, sources.gitopsDir);
      const rerun = sources.rerun === undefined ? '' : `, render with ${sources.rerun}`;
      if (problems.length > 0) throw new CheckError('CheckFailed', `${problems.length} problem(s) in ${shown}; fix each line above${rerun}, and run flotilla check again`);
      progress(`${shown}: no problems`);
    });
}
