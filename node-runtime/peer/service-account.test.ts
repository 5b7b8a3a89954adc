import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../kube/index.ts';
import { ServiceAccountPeerAuth, TOKEN_FILE_REREAD_MS } from './service-account.ts';

// Reading a projected token file asks nothing of the API server: a client that is never called.
const unused: KubeClient = {
  request: () => Promise.reject(new Error('expected no API call for a projected token')),
  watch: () => {
    throw new Error('expected no watch');
  },
};

describe('ServiceAccountPeerAuth with a projected token file', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('sends the file\'s token and picks up the kubelet\'s replacement within a minute', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-peer-token-'));
    dirs.push(dir);
    const file = join(dir, 'token');
    await writeFile(file, 'first.token.value\n');
    let now = 1_000_000;
    const auth = new ServiceAccountPeerAuth(unused, { namespace: 'fns', serviceAccount: 'pool', tokenFile: file, now: () => now });
    expect(await auth.credential()).toBe('first.token.value');
    await writeFile(file, 'second.token.value');
    now += TOKEN_FILE_REREAD_MS - 1;
    expect(await auth.credential()).toBe('first.token.value');
    now += 1;
    expect(await auth.credential()).toBe('second.token.value');
  });

  it('refuses an empty token file, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-peer-token-'));
    dirs.push(dir);
    await writeFile(join(dir, 'token'), '');
    await expect(new ServiceAccountPeerAuth(unused, { namespace: 'fns', serviceAccount: 'pool', tokenFile: join(dir, 'token') }).credential()).rejects.toThrow(/token: expected a projected ServiceAccount token, got an empty file/);
  });
});
