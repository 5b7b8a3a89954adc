/**
 * Reading a rendered tree, and rendering one afresh the way `cdk8s synth` does: the command runs
 * through a shell in the repository root with CDK8S_OUTDIR naming an empty temp folder, which a
 * cdk8s App takes as its outdir.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { listFiles } from '../../constructs/index.ts';
import { CheckError } from './problem.ts';
import type { Render } from './sources.ts';
import type { GitopsFile } from './stale.ts';

const TAIL_LINES = 20;

/** Every file under `dir` with its text, paths relative to `dir`, sorted. */
export async function readTree(dir: string): Promise<GitopsFile[]> {
  const paths = await listFiles(dir);
  return Promise.all(paths.map(async (p) => ({ path: p, content: await readFile(join(dir, p), 'utf8') })));
}

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-TAIL_LINES).map((l) => `\n  ${l}`).join('');
}

/** Runs `render` into a temp folder and returns what it wrote; SynthFailed when it fails or writes nothing. */
export async function renderFresh(render: Render): Promise<GitopsFile[]> {
  const tmp = await mkdtemp(join(tmpdir(), 'flotilla-check-'));
  // Not created: cdk8s synth removes its outdir before running the app, so an app that ignores
  // CDK8S_OUTDIR shows as a missing folder rather than as an empty render.
  const outdir = join(tmp, 'out');
  const what = `\`${render.command}\` (${render.origin})`;
  try {
    const r = await execa(render.command, { shell: true, cwd: render.cwd, env: { CDK8S_OUTDIR: outdir }, stdin: 'ignore', reject: false });
    if (r.failed) {
      const how = r.exitCode !== undefined ? `exited ${r.exitCode}` : r.signal !== undefined ? `was killed by ${r.signal}` : `did not start (${r.shortMessage})`;
      const output = String(r.stderr).trim() !== '' ? String(r.stderr) : String(r.stdout);
      const shown = output.trim() === '' ? ' It printed nothing.' : ` Its output ends with:${tail(output)}`;
      throw new CheckError('SynthFailed', `${what} ${how} in ${render.cwd}: expected it to render the manifests; fix it until ${render.rerun} succeeds, or pass --no-stale to skip the staleness check.${shown}`);
    }
    if (!existsSync(outdir)) {
      throw new CheckError('SynthFailed', `${what} exited 0 but created no $CDK8S_OUTDIR folder: expected it to write its manifests into the folder CDK8S_OUTDIR names, as cdk8s synth runs it (a cdk8s App does by default); make it honour CDK8S_OUTDIR, or pass --no-stale`);
    }
    return await readTree(outdir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
