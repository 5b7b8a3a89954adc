// Both registries are real OCI registries: oras pushes and pulls a file byte for byte; on the
// referrers registry an attached artifact is found through the OCI 1.1 referrers API.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { harness, uniqueName } from '../../harness/index.ts';
import { tool } from './tools.ts';

async function roundTrip(host: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'smoke-oras-'));
  const payload = randomBytes(4096);
  writeFileSync(join(dir, 'payload.bin'), payload);
  const ref = `${host}/${uniqueName('smoke/oras')}:v1`;
  await tool('oras', ['push', '--plain-http', ref, 'payload.bin:application/octet-stream'], { cwd: dir });
  const out = join(dir, 'out');
  await tool('oras', ['pull', '--plain-http', ref, '-o', out]);
  expect(readFileSync(join(out, 'payload.bin')).equals(payload)).toBe(true);
}

describe('registry smoke', () => {
  it('oras push then pull round-trips a file through docker-registry', async () => {
    await roundTrip(harness().registry.host);
  });

  it('oras round-trips through the referrers registry and discovers an attached artifact via the referrers API', async () => {
    const zot = harness().zot;
    expect(zot, 'referrers registry (devenv/tools/referrers-registry) should be built by npm run setup').toBeDefined();
    const host = zot?.host ?? '';
    await roundTrip(host);

    const dir = mkdtempSync(join(tmpdir(), 'smoke-referrers-'));
    writeFileSync(join(dir, 'subject.txt'), 'subject');
    writeFileSync(join(dir, 'note.txt'), 'a referrer');
    const ref = `${host}/${uniqueName('smoke/referrers')}:v1`;
    await tool('oras', ['push', '--plain-http', ref, 'subject.txt'], { cwd: dir });
    await tool('oras', ['attach', '--plain-http', '--artifact-type', 'application/vnd.flotilla.test.note', ref, 'note.txt'], { cwd: dir });
    const digest = (await tool('oras', ['resolve', '--plain-http', ref])).trim();
    const repo = ref.slice(host.length + 1, ref.lastIndexOf(':'));
    // Ask the registry itself, so this proves the server's referrers endpoint, not a client-side tag fallback.
    const res = await fetch(`${zot?.url ?? ''}/v2/${repo}/referrers/${digest}`);
    expect(res.status).toBe(200);
    const index = (await res.json()) as { manifests: { artifactType?: string }[] };
    expect(index.manifests.map((m) => m.artifactType)).toEqual(['application/vnd.flotilla.test.note']);
    const filtered = await fetch(`${zot?.url ?? ''}/v2/${repo}/referrers/${digest}?artifactType=application/vnd.other`);
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(((await filtered.json()) as { manifests: unknown[] }).manifests).toEqual([]);
  });
});
