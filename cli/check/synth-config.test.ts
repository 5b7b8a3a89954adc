import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../api/errors.ts';
import { parseSynthConfig, readSynthConfig } from './synth-config.ts';

describe('parseSynthConfig', () => {
  it.each([
    ['app: node main.ts\noutput: gitops\n', { app: 'node main.ts', output: 'gitops' }],
    // cdk8s synth's own default folder.
    ['app: node main.ts\n', { app: 'node main.ts', output: 'dist' }],
    ['output: out\n', { app: undefined, output: 'out' }],
    ['', { app: undefined, output: 'dist' }],
  ])('%j -> %j', (text, want) => {
    expect(parseSynthConfig(text, 'r/cdk8s.yaml')).toEqual({ file: 'r/cdk8s.yaml', ...want });
  });

  it.each([
    ['app: [unclosed\n', /^r\/cdk8s\.yaml: expected YAML, got .*; fix the file$/s],
    ['- app\n', /^r\/cdk8s\.yaml: expected a mapping with app: and output:, got a list/],
    ['app: 3\n', /^r\/cdk8s\.yaml: app: expected the command that renders the manifests .*, got 3; fix the field$/],
    ['app: "  "\n', /app: expected the command .*, got " {2}"/],
    ['app: x\noutput: {a: 1}\n', /^r\/cdk8s\.yaml: output: expected the folder .*, got a mapping; fix the field$/],
  ])('refuses %j', (text, message) => {
    let err: unknown;
    try {
      parseSynthConfig(text, 'r/cdk8s.yaml');
    } catch (e) {
      err = e;
    }
    expect(isFlotillaError(err, 'SynthConfigInvalid')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});

describe('readSynthConfig', () => {
  it('reads the file in the repository and is undefined where there is none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-synth-config-'));
    try {
      expect(await readSynthConfig(dir)).toBeUndefined();
      await writeFile(join(dir, 'cdk8s.yaml'), 'app: node main.ts\n');
      expect(await readSynthConfig(dir)).toEqual({ file: join(dir, 'cdk8s.yaml'), app: 'node main.ts', output: 'dist' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
