import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../api/errors.ts';
import { resolveSources } from './sources.ts';
import type { SourceFlags } from './sources.ts';
import type { SynthConfig } from './synth-config.ts';

const config: SynthConfig = { file: '/r/cdk8s.yaml', app: 'node main.ts', output: 'gitops' };
const flags: SourceFlags = { repo: '/r', gitops: undefined, synthCommand: undefined, stale: true };
const app = { command: 'node main.ts', cwd: '/r', origin: 'app in /r/cdk8s.yaml' };

describe('resolveSources', () => {
  it.each([
    { name: 'cdk8s.yaml alone', flags, config, want: { gitopsDir: '/r/gitops', gitopsOrigin: 'output in /r/cdk8s.yaml', fresh: { ...app, rerun: '`cdk8s synth`' }, rerun: '`cdk8s synth`' } },
    { name: 'another folder inside the repo', flags: { ...flags, gitops: '/r/copy' }, config, want: { gitopsDir: '/r/copy', gitopsOrigin: '--gitops', fresh: { ...app, rerun: '`cdk8s synth --output copy`' }, rerun: '`cdk8s synth --output copy`' } },
    { name: 'a folder outside the repo', flags: { ...flags, gitops: '/tmp/x' }, config, want: expect.objectContaining({ rerun: '`cdk8s synth --output /tmp/x`' }) as unknown },
    { name: 'a repo elsewhere', flags: { ...flags, repo: '/w/r' }, config: { ...config, file: '/w/r/cdk8s.yaml' }, cwd: '/w', want: expect.objectContaining({ gitopsDir: '/w/r/gitops', rerun: '`cd r && cdk8s synth`' }) as unknown },
    {
      name: '--synth-command without cdk8s.yaml',
      flags: { ...flags, gitops: '/r/out', synthCommand: 'make render' },
      config: undefined,
      want: { gitopsDir: '/r/out', gitopsOrigin: '--gitops', fresh: { command: 'make render', cwd: '/r', origin: '--synth-command', rerun: '`CDK8S_OUTDIR=out make render`' }, rerun: '`CDK8S_OUTDIR=out make render`' },
    },
    { name: '--synth-command over app', flags: { ...flags, synthCommand: 'make render' }, config, want: expect.objectContaining({ gitopsDir: '/r/gitops', fresh: expect.objectContaining({ command: 'make render' }) as unknown }) as unknown },
    // With --no-stale nothing runs, but the final message still says how to re-render.
    { name: '--no-stale', flags: { ...flags, stale: false }, config, want: expect.objectContaining({ fresh: undefined, rerun: '`cdk8s synth`' }) as unknown },
    { name: '--no-stale --gitops without cdk8s.yaml', flags: { ...flags, stale: false, gitops: '/g' }, config: undefined, want: { gitopsDir: '/g', gitopsOrigin: '--gitops', fresh: undefined, rerun: undefined } },
    { name: '--no-stale and no app', flags: { ...flags, stale: false }, config: { ...config, app: undefined }, want: expect.objectContaining({ gitopsDir: '/r/gitops', rerun: undefined }) as unknown },
  ])('$name', ({ flags: f, config: c, cwd, want }) => {
    expect(resolveSources(f, c, cwd ?? '/r')).toEqual(want);
  });

  it.each([
    { name: 'no cdk8s.yaml, no --gitops', flags, config: undefined, code: 'SynthConfigNotFound', message: /^no cdk8s\.yaml in \/r: expected .* output: .*; run flotilla check in the repository root or pass --repo <dir>, or pass --gitops <dir>$/ },
    { name: 'no cdk8s.yaml to render with', flags: { ...flags, gitops: '/g' }, config: undefined, code: 'SynthConfigNotFound', message: /^no cdk8s\.yaml in \/r: expected .* app: .*pass --synth-command "<cmd>", or --no-stale/ },
    { name: 'cdk8s.yaml without app', flags, config: { ...config, app: undefined }, code: 'SynthConfigInvalid', message: /^\/r\/cdk8s\.yaml: app: expected the command that renders the manifests .*, got none; add it, pass --synth-command "<cmd>", or --no-stale/ },
  ])('refuses $name', ({ flags: f, config: c, code, message }) => {
    let err: unknown;
    try {
      resolveSources(f, c, '/r');
    } catch (e) {
      err = e;
    }
    expect(isFlotillaError(err, code)).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});
