import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { FlotillaError } from '../../api/errors.ts';
import { CheckError, formatProblem } from '../check/problem.ts';
import { runCheck } from '../check/run.ts';
import { progress, storeOptions } from './artifact-common.ts';

interface CheckFlags {
  gitops: string;
  stale: boolean;
  registry: boolean;
  insecure?: boolean;
  retries: string;
  output: string;
}

/**
 * `flotilla check`: what a pull request's CI runs on the GitOps repository. Prints one line per
 * problem (file: object: field: message) and exits non-zero when there is any.
 */
export function register(program: Command): void {
  program
    .command('check')
    .description('Check the GitOps tree: rendered output not stale, manifests valid against the CRD schemas, module digests resolvable and signed by a key or identity the cluster trusts')
    .option('--gitops <dir>', 'the rendered GitOps tree (holds clusters/ and argocd/)', 'gitops')
    .option('--no-stale', 'skip comparing with a fresh render of clusters/ (for a tree this checkout did not render)')
    .option('--no-registry', 'skip resolving and verifying module references (no network)')
    .option('--insecure', 'plain http to non-loopback registries (loopback registries always use http)')
    .option('--retries <n>', 'retries of a failed registry request', '2')
    .option('-o, --output <format>', 'text, json or yaml (problems on stdout, progress on stderr)', 'text')
    .action(async (flags: CheckFlags) => {
      if (!['text', 'json', 'yaml'].includes(flags.output)) throw new FlotillaError('InvalidArgument', `--output: expected text, json or yaml, got ${JSON.stringify(flags.output)}`);
      const retries = Number(flags.retries);
      if (!Number.isInteger(retries) || retries < 0) throw new FlotillaError('InvalidArgument', `--retries: expected a whole number >= 0, got ${JSON.stringify(flags.retries)}`);
      const problems = await runCheck({
        gitopsDir: resolve(flags.gitops),
        baseDir: process.cwd(),
        stale: flags.stale,
        registry: flags.registry ? { store: storeOptions({ output: flags.output, insecure: flags.insecure === true }, { transport: { retries } }) } : undefined,
        log: progress,
      });
      if (flags.output === 'json') process.stdout.write(`${JSON.stringify({ problems }, null, 2)}\n`);
      else if (flags.output === 'yaml') process.stdout.write(stringify({ problems }));
      else for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      if (problems.length > 0) throw new CheckError('CheckFailed', `${problems.length} problem(s) in ${flags.gitops}; fix each line above, render with \`npm run synth\`, and run flotilla check again`);
      progress(`${flags.gitops}: no problems`);
    });
}
