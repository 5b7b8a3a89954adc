/**
 * `flotilla check` as CI runs it, against the real harness registry: a tree whose modules are all
 * signed by a trusted key passes; unsigned, wrongly signed and missing digests, a broken schema and
 * a dangling runtime each fail with one line naming file, object and field; a stale render fails.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signArtifact } from '../../../artifacts/index.ts';
import { trustPolicyConfigMap } from '../../../policies/trust-policy.ts';
import { harness } from '../../harness/index.ts';
import { keyPair, pushedArtifact, tempDir } from '../artifacts/helpers.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'cli/main.ts');

interface Problem {
  file: string;
  object: string;
  field: string;
  message: string;
}

async function check(args: string[]) {
  const r = await execa('node', [CLI, 'check', ...args], { cwd: ROOT, reject: false });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function wasmFunction(name: string, ref: string, extra: Record<string, unknown> = {}): string {
  return stringify({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name, namespace: 'functions' }, spec: { module: { ref }, ...extra } });
}

const RUNTIME = stringify({
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'WasmRuntime',
  metadata: { name: 'default', namespace: 'functions' },
  spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet-trust' } },
});

describe('flotilla check', () => {
  let dir: string;
  let gitops: string;
  let good: { signed: string; bundle: string };
  let bad: { unsigned: string; untrusted: string; missing: string };

  beforeAll(async () => {
    const { registry } = harness();
    dir = await tempDir('flotilla-check-');
    const trusted = await keyPair(dir, 'trusted');
    const other = await keyPair(dir, 'other');
    const sign = async (a: Awaited<ReturnType<typeof pushedArtifact>>, key: typeof trusted): Promise<string> => {
      await signArtifact(a.store, a.digest, { key: key.key, repository: a.repo });
      return `${a.repo}@${a.digest}`;
    };
    const [s1, s2, u, w, m] = await Promise.all(['check-signed', 'check-signed2', 'check-unsigned', 'check-untrusted', 'check-missing'].map((p) => pushedArtifact(registry.host, p)));
    if (!s1 || !s2 || !u || !w || !m) throw new Error('expected five pushed artifacts');
    good = { signed: await sign(s1, trusted), bundle: await sign(s2, trusted) };
    bad = {
      unsigned: `${u.repo}@${u.digest}`,
      untrusted: await sign(w, other),
      // A digest nothing was pushed under, in a repository that exists.
      missing: `${m.repo}@sha256:${'0'.repeat(64)}`,
    };
    gitops = join(dir, 'gitops');
    const cluster = join(gitops, 'clusters', 'edge-test');
    await mkdir(cluster, { recursive: true });
    await mkdir(join(gitops, 'argocd'));
    await writeFile(join(cluster, 'configmap_flotilla-system_fleet-trust.yaml'), stringify(trustPolicyConfigMap({ name: 'fleet-trust', keys: [trusted.pub], identities: [] }, 'flotilla-system')));
    await writeFile(join(cluster, 'wasmruntime_functions_default.yaml'), RUNTIME);
    await writeFile(join(cluster, 'wasmfunction_functions_a.yaml'), wasmFunction('a', good.signed));
    await writeFile(join(cluster, 'wasmfunction_functions_b.yaml'), wasmFunction('b', good.bundle, { limits: { memoryPages: 16 } }));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a tree whose every module is signed by a key the cluster trusts', async () => {
    const r = await check(['--gitops', gitops, '--no-stale']);
    expect(r.stdout).toBe('');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('no problems');
  });

  it('names file, object and field of every unsigned, untrusted, missing, invalid or dangling object', async () => {
    const broken = join(dir, 'broken');
    await cp(gitops, broken, { recursive: true });
    const cluster = join(broken, 'clusters', 'edge-test');
    await writeFile(join(cluster, 'wasmfunction_functions_unsigned.yaml'), wasmFunction('unsigned', bad.unsigned));
    await writeFile(join(cluster, 'wasmfunction_functions_untrusted.yaml'), wasmFunction('untrusted', bad.untrusted));
    await writeFile(join(cluster, 'wasmfunction_functions_missing.yaml'), wasmFunction('missing', bad.missing));
    await writeFile(join(cluster, 'wasmfunction_functions_tagged.yaml'), wasmFunction('tagged', good.signed.replace(/@sha256:.*/, ':v1')));
    await writeFile(join(cluster, 'wasmfunction_functions_limits.yaml'), wasmFunction('limits', good.signed, { limits: { memoryPages: 0 } }));
    await writeFile(join(cluster, 'wasmfunction_functions_pool.yaml'), wasmFunction('pool', good.signed, { runtimeClass: 'gpu' }));
    await writeFile(join(cluster, 'broken.yaml'), 'kind: [unclosed\n');

    const r = await check(['--gitops', broken, '--no-stale', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(80);
    const { problems } = JSON.parse(r.stdout) as { problems: Problem[] };
    const at = (name: string): Problem[] => problems.filter((p) => p.object === `WasmFunction functions/${name}`);
    const file = (name: string): string => join(relative(ROOT, cluster) === '' ? '.' : cluster, `wasmfunction_functions_${name}.yaml`);

    expect(at('unsigned')).toEqual([{ file: file('unsigned'), object: 'WasmFunction functions/unsigned', field: 'spec.module.ref', message: expect.stringMatching(/^NoSignature: /) as unknown }]);
    expect(at('untrusted')).toEqual([expect.objectContaining({ field: 'spec.module.ref', message: expect.stringMatching(/^UntrustedKey: /) as unknown })]);
    expect(at('missing')).toEqual([expect.objectContaining({ field: 'spec.module.ref', message: expect.stringMatching(/^ManifestNotFound: /) as unknown })]);
    // A tag is refused by the schema (pinned by digest), before any registry is asked.
    expect(at('tagged')).toEqual([expect.objectContaining({ field: 'spec.module.ref', message: expect.stringContaining('digest') as unknown })]);
    expect(at('limits')).toEqual([expect.objectContaining({ field: 'spec.limits.memoryPages' })]);
    expect(at('pool')).toEqual([expect.objectContaining({ field: 'spec.runtimeClass', message: expect.stringContaining('gpu') as unknown })]);
    expect(problems.filter((p) => p.file.endsWith('broken.yaml'))).toEqual([expect.objectContaining({ message: expect.stringMatching(/^invalid YAML/) as unknown })]);
    // The good ones stay quiet.
    expect(at('a')).toEqual([]);
    expect(at('b')).toEqual([]);

    const text = await check(['--gitops', broken, '--no-stale']);
    expect(text.exitCode).toBe(80);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(problems.length);
    expect(lines).toContain(`${file('unsigned')}: WasmFunction functions/unsigned: spec.module.ref: ${(at('unsigned')[0]?.message ?? '').replace(/\s*\n\s*/g, ' ')}`);
  });

  it('finds a trust policy that is missing', async () => {
    const noTrust = join(dir, 'no-trust');
    await cp(gitops, noTrust, { recursive: true });
    await rm(join(noTrust, 'clusters', 'edge-test', 'configmap_flotilla-system_fleet-trust.yaml'));
    const r = await check(['--gitops', noTrust, '--no-stale', '-o', 'json']);
    expect(r.exitCode).toBe(80);
    const { problems } = JSON.parse(r.stdout) as { problems: Problem[] };
    expect(problems.map((p) => [p.object, p.field])).toEqual([
      ['WasmFunction functions/a', 'spec.runtimeClass'],
      ['WasmFunction functions/b', 'spec.runtimeClass'],
    ]);
    expect(problems[0]?.message).toContain('fleet-trust');
  });

  it('finds a stale render: an edited, an extra and a missing file', async () => {
    const copy = join(dir, 'stale');
    await cp(join(ROOT, 'gitops'), copy, { recursive: true });
    const echo = join(copy, 'clusters', 'edge-eu-west', 'wasmfunction_functions_echo.yaml');
    await writeFile(echo, (await readFile(echo, 'utf8')).replace('memoryPages: 64', 'memoryPages: 65'));
    await writeFile(join(copy, 'clusters', 'edge-eu-west', 'extra.yaml'), 'a: 1\n');
    await rm(join(copy, 'clusters', 'edge-us-east', 'wasmfunction_functions_echo.yaml'));

    const fresh = await check(['--gitops', join(ROOT, 'gitops'), '--no-registry']);
    expect(fresh.exitCode, `${fresh.stdout}${fresh.stderr}`).toBe(0);

    const r = await check(['--gitops', copy, '--no-registry', '-o', 'json']);
    expect(r.exitCode).toBe(80);
    const { problems } = JSON.parse(r.stdout) as { problems: Problem[] };
    expect(problems.map((p) => [p.file.slice(copy.length + 1), p.object, p.field])).toEqual([
      ['clusters/edge-eu-west/extra.yaml', '-', '-'],
      ['clusters/edge-eu-west/wasmfunction_functions_echo.yaml', 'WasmFunction functions/echo', 'spec.limits.memoryPages'],
      ['clusters/edge-us-east/wasmfunction_functions_echo.yaml', 'WasmFunction functions/echo', '-'],
    ]);
  });
});
