import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../api/errors.ts';
import { renderFresh } from './render.ts';

// Real shell commands in a real folder: what matters is what the child sees and leaves behind.
describe('renderFresh', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'flotilla-render-'));
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });
  const render = (command: string) => ({ command, cwd: repo, origin: 'app in cdk8s.yaml', rerun: '`cdk8s synth`' });

  async function failure(command: string): Promise<Error> {
    try {
      await renderFresh(render(command));
    } catch (err) {
      expect(isFlotillaError(err, 'SynthFailed'), String(err)).toBe(true);
      return err as Error;
    }
    throw new Error(`expected ${command} to fail`);
  }

  it('returns what the command wrote into $CDK8S_OUTDIR, run in the repository, and removes it afterwards', async () => {
    const files = await renderFresh(render('mkdir -p "$CDK8S_OUTDIR/a" && printf "x: 1\\n" > "$CDK8S_OUTDIR/a/one.yaml" && pwd > "$CDK8S_OUTDIR/cwd" && echo "$CDK8S_OUTDIR" > "$CDK8S_OUTDIR/outdir"; echo noise'));
    expect(files.map((f) => f.path)).toEqual(['a/one.yaml', 'cwd', 'outdir']);
    expect(files[0]?.content).toBe('x: 1\n');
    expect(files[1]?.content.trim()).toBe(repo);
    expect(existsSync((files[2]?.content ?? '').trim())).toBe(false);
  });

  it('names the command, its exit code and the tail of its stderr when it fails', async () => {
    const err = await failure('for i in $(seq 1 30); do echo "line $i" >&2; done; exit 3');
    expect(err.message).toMatch(/^`for i .*` \(app in cdk8s\.yaml\) exited 3 in .*: expected it to render the manifests; fix it until `cdk8s synth` succeeds, or pass --no-stale/);
    expect(err.message).toContain('\n  line 30');
    expect(err.message).toContain('\n  line 11');
    expect(err.message).not.toMatch(/\bline 10\b/);
  });

  it('shows stdout when the command printed nothing on stderr', async () => {
    expect((await failure('echo only-stdout; exit 1')).message).toContain('\n  only-stdout');
  });

  it('refuses a command that ignores CDK8S_OUTDIR', async () => {
    expect((await failure('true')).message).toMatch(/exited 0 but created no \$CDK8S_OUTDIR folder: .*make it honour CDK8S_OUTDIR, or pass --no-stale/);
  });
});
