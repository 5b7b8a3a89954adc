/**
 * `flotilla check` as a process, on a GitOps repository of its own outside this checkout: a
 * cdk8s.yaml whose app is a plain cdk8s App (this checkout's cdk8s package, by absolute path),
 * rendered and committed the way `cdk8s synth` does it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'cli/main.ts');
const CDK8S = join(ROOT, 'node_modules/cdk8s/lib/index.js');
const DIGEST = `sha256:${'b'.repeat(64)}`;

// The app: one chart, so one multi-document file (dist's layout, not Flotilla's clusters/<name>/).
const APP = `import { createRequire } from 'node:module';
const { App, Chart, ApiObject } = createRequire(import.meta.url)(${JSON.stringify(CDK8S)});
const app = new App();
const chart = new Chart(app, 'edge', { namespace: 'functions' });
new ApiObject(chart, 'pool', { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmRuntime', metadata: { name: 'default' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet-trust' } } });
new ApiObject(chart, 'echo', { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name: 'echo' }, spec: { module: { ref: 'registry.example/echo@${DIGEST}' }, runtimeClass: process.env.POOL ?? 'default', limits: { memoryPages: 64 } } });
app.synth();
`;

async function check(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = await execa(process.execPath, [MAIN, 'check', ...args], { cwd, env, reject: false, timeout: 30_000 });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('flotilla check on a GitOps repository of its own', () => {
  let tmp: string;
  let repo: string;
  let rendered: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'flotilla-check-repo-'));
    repo = join(tmp, 'fleet');
    await mkdir(repo);
    await writeFile(join(repo, 'cdk8s.yaml'), 'language: typescript\napp: node main.mjs\noutput: manifests\n');
    await writeFile(join(repo, 'main.mjs'), APP);
    // What `cdk8s synth` leaves behind to commit.
    await execa(process.execPath, ['main.mjs'], { cwd: repo, env: { CDK8S_OUTDIR: 'manifests' } });
    rendered = join(repo, 'manifests', 'edge.k8s.yaml');
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('passes a fresh render, run in the repository or pointed at it with --repo', async () => {
    const inRepo = await check(repo, ['--no-registry']);
    expect(inRepo.stdout).toBe('');
    expect(inRepo.exitCode, inRepo.stderr).toBe(0);
    expect(inRepo.stderr).toContain('2 flotilla.dev objects checked');
    expect(inRepo.stderr).toContain('manifests: no problems');

    const elsewhere = await check(tmp, ['--repo', 'fleet', '--no-registry']);
    expect(elsewhere.exitCode, elsewhere.stderr).toBe(0);
  });

  it('names the stale object and field of an edited file, and says to run cdk8s synth', async () => {
    const committed = await readFile(rendered, 'utf8');
    try {
      await writeFile(rendered, committed.replace('memoryPages: 64', 'memoryPages: 0'));
      const r = await check(repo, ['--no-registry']);
      expect(r.exitCode, r.stderr).toBe(80);
      expect(r.stdout.trim().split('\n')).toEqual([
        'manifests/edge.k8s.yaml: WasmFunction functions/echo: spec.limits.memoryPages: stale: differs from a fresh render; run `cdk8s synth` and commit the result',
        'manifests/edge.k8s.yaml: WasmFunction functions/echo: spec.limits.memoryPages: must be >= 1, got 0',
      ]);
      // Counted although it failed.
      expect(r.stderr).toContain('2 flotilla.dev objects checked');
      expect(r.stderr).toContain('render with `cdk8s synth`');
      expect(r.stderr).not.toContain('npm run synth');
    } finally {
      await writeFile(rendered, committed);
    }
  });

  it('fails with the command, the field it came from and its stderr when the app cannot render', async () => {
    const r = await check(repo, ['--no-registry', '--synth-command', 'node -e "console.error(\'boom: chart edge\'); process.exit(4)"']);
    expect(r.exitCode).toBe(87);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^flotilla: SynthFailed: `node -e .*` \(--synth-command\) exited 4 in .*fleet: expected it to render the manifests; fix it until `CDK8S_OUTDIR=manifests node -e .*` succeeds, or pass --no-stale/);
    expect(r.stderr).toContain('\n  boom: chart edge');

    const broken = join(tmp, 'broken');
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'cdk8s.yaml'), 'app: node missing.mjs\noutput: manifests\n');
    await mkdir(join(broken, 'manifests'), { recursive: true });
    const fromConfig = await check(broken, ['--no-registry']);
    expect(fromConfig.exitCode).toBe(87);
    expect(fromConfig.stderr).toContain(`(app in ${join(broken, 'cdk8s.yaml')}) exited 1`);
    expect(fromConfig.stderr).toContain('Cannot find module');
  });

  it('says which input is missing and how to give it', async () => {
    const empty = join(tmp, 'empty');
    await mkdir(empty, { recursive: true });
    const none = await check(empty, ['--no-registry']);
    expect(none.exitCode).toBe(85);
    expect(none.stderr).toMatch(/SynthConfigNotFound: no cdk8s\.yaml in .*empty: .*pass --repo <dir>, or pass --gitops <dir>/);

    const noOutput = await check(tmp, ['--repo', 'fleet', '--gitops', 'nowhere', '--no-registry']);
    expect(noOutput.exitCode).toBe(81);
    expect(noOutput.stderr).toMatch(/GitopsUnreadable: cannot read the rendered manifests .*nowhere \(--gitops\): .*ENOENT.*; render it \(`cd fleet && cdk8s synth --output .*nowhere`\), fix the path, or pass --gitops <dir>/);
  });

  it('verifies the functions of a flat render as one cluster: a dangling pool is found', async () => {
    // POOL renames the function's pool in the committed copy and in the fresh render alike.
    const flat = join(tmp, 'flat');
    await mkdir(flat, { recursive: true });
    await execa(process.execPath, [join(repo, 'main.mjs')], { cwd: flat, env: { CDK8S_OUTDIR: 'dist', POOL: 'gpu' } });
    const r = await check(flat, ['--gitops', 'dist', '--no-stale', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(80);
    const { problems } = JSON.parse(r.stdout) as { problems: { file: string; object: string; field: string; message: string }[] };
    expect(problems).toEqual([{ file: 'dist/edge.k8s.yaml', object: 'WasmFunction functions/echo', field: 'spec.runtimeClass', message: expect.stringContaining('gpu') as unknown }]);
  });
});
