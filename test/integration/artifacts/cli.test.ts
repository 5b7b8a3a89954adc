/**
 * The CLI end to end on both kinds of store: an OCI layout directory (air-gapped edge site) and the
 * harness registry. Progress goes to stderr, `-o json` to stdout, failures to their exit codes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { harness, uniqueName } from '../../harness/index.ts';
import { keyPair, tempDir, uniqueModule } from './helpers.ts';

const CLI = join(import.meta.dirname, '../../../cli/main.ts');

async function flotilla(args: string[], env: Record<string, string> = {}) {
  return execa('node', [CLI, ...args], { env: { SOURCE_DATE_EPOCH: '1767225600', ...env }, reject: false });
}

describe('flotilla push/sign/verify/inspect/pull', () => {
  it('works on an OCI layout directory with no registry at all', async () => {
    const dir = await tempDir();
    const wasm = uniqueModule();
    await writeFile(join(dir, 'hello.wasm'), wasm);
    const k = await keyPair(dir, 'edge');
    const layout = `oci-layout:${join(dir, 'site')}`;

    const push = await flotilla(['push', join(dir, 'hello.wasm'), `${layout}:v1`, '--source', 'https://git.example/hello', '--revision', 'c0ffee', '-o', 'json']);
    expect(push.exitCode, push.stderr).toBe(0);
    const { digest } = JSON.parse(push.stdout) as { digest: string };
    expect(push.stderr).toContain('upload layer');

    expect((await flotilla(['verify', `${layout}:v1`, '--key', k.pubFile])).exitCode).toBe(10);
    const sign = await flotilla(['sign', `${layout}:v1`, '--key', k.keyFile, '-o', 'json'], { COSIGN_PASSWORD: k.password });
    expect(sign.exitCode, sign.stderr).toBe(0);
    expect(JSON.parse(sign.stdout)).toMatchObject({ digest, tool: 'native', bundle: true });
    const verify = await flotilla(['verify', `${layout}@${digest}`, '--key', k.pubFile, '-o', 'json']);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect((JSON.parse(verify.stdout) as { signatures: { scheme: string }[] }).signatures.map((s) => s.scheme).sort()).toEqual(['cosign-tag', 'sigstore-bundle']);

    const inspect = await flotilla(['inspect', `${layout}:v1`, '-o', 'json']);
    expect(JSON.parse(inspect.stdout)).toMatchObject({
      digest,
      manifest: { artifactType: 'application/vnd.wasm.config.v0+json', annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z', 'org.opencontainers.image.source': 'https://git.example/hello', 'org.opencontainers.image.revision': 'c0ffee' } },
      config: { architecture: 'wasm', os: 'wasip1' },
      signatures: { tag: expect.stringMatching(/^sha256:/) as unknown },
    });

    const out = join(dir, 'out.wasm');
    const pull = await flotilla(['pull', `${layout}:v1`, '--key', k.pubFile, '-f', out, '-o', 'json']);
    expect(pull.exitCode, pull.stderr).toBe(0);
    expect(await readFile(out)).toEqual(wasm);
  });

  it('pull refuses to write a module whose signature does not verify', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'm.wasm'), uniqueModule());
    const ref = `${harness().registry.host}/flotilla-test/${uniqueName('cli-pull')}:v1`;
    expect((await flotilla(['push', '--native', join(dir, 'm.wasm'), ref])).exitCode).toBe(0);
    const signer = await keyPair(dir, 'signer');
    const other = await keyPair(dir, 'other');
    expect((await flotilla(['sign', '--native', ref, '--key', signer.keyFile], { COSIGN_PASSWORD: signer.password })).exitCode).toBe(0);
    const out = join(dir, 'out.wasm');
    const refused = await flotilla(['pull', ref, '--key', other.pubFile, '-f', out]);
    expect(refused.exitCode).toBe(13);
    await expect(readFile(out)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await flotilla(['pull', ref, '--key', signer.pubFile, '-f', out])).exitCode).toBe(0);
  });

  it.each([
    [['push', '/nonexistent.wasm', 'nohost:v1'], 20, 'InvalidReference'],
    [['verify', '127.0.0.1:1/x:v1'], 2, 'InvalidArgument'],
    [['inspect', '127.0.0.1:1/x@sha256:abc'], 20, 'InvalidReference'],
  ])('flotilla %j exits %i (%s)', async (args, code, reason) => {
    const r = await flotilla(args);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toContain(reason);
    expect(r.stdout).toBe('');
  });
});
