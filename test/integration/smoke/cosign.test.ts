// cosign signs and verifies an artifact stored in the harness registry with a generated key pair,
// offline: no transparency log upload and none consulted on verify.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harness, uniqueName } from '../../harness/index.ts';
import { tool } from './tools.ts';

describe('cosign smoke', () => {
  it('generate-key-pair, sign --key and verify --key succeed on an artifact in the registry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smoke-cosign-'));
    // COSIGN_PASSWORD encrypts the private key; TUF_ROOT keeps cosign's cache out of $HOME.
    const env = { COSIGN_PASSWORD: 'smoke-test', TUF_ROOT: join(dir, 'tuf') };
    const host = harness().registry.host;
    writeFileSync(join(dir, 'module.wasm'), Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    const ref = `${host}/${uniqueName('smoke/cosign')}:v1`;
    await tool('oras', ['push', '--plain-http', ref, 'module.wasm:application/wasm'], { cwd: dir });
    const digest = (await tool('oras', ['resolve', '--plain-http', ref])).trim();
    const byDigest = `${ref.slice(0, ref.lastIndexOf(':'))}@${digest}`;

    await tool('cosign', ['generate-key-pair'], { cwd: dir, env });
    await tool('cosign', ['sign', '--key', 'cosign.key', '--tlog-upload=false', '--allow-http-registry', '--yes', byDigest], { cwd: dir, env });
    const out = await tool('cosign', ['verify', '--key', 'cosign.pub', '--insecure-ignore-tlog=true', '--allow-http-registry', byDigest], { cwd: dir, env });
    const claims = JSON.parse(out) as { critical: { image: { 'docker-manifest-digest': string } } }[];
    expect(claims[0]?.critical.image['docker-manifest-digest']).toBe(digest);

    // A different key must not verify: the check is real.
    const other = join(dir, 'other');
    await tool('cosign', ['generate-key-pair', '--output-key-prefix', other], { cwd: dir, env });
    await expect(tool('cosign', ['verify', '--key', `${other}.pub`, '--insecure-ignore-tlog=true', '--allow-http-registry', byDigest], { cwd: dir, env })).rejects.toThrow();
  });
});
