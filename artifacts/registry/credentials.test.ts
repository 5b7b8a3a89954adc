import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerConfigCredentials } from './credentials.ts';

async function configDir(content: string | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-docker-'));
  if (content !== undefined) await writeFile(join(dir, 'config.json'), content);
  return dir;
}

describe('dockerConfigCredentials', () => {
  it.each([
    ['auth (base64 user:password, colon in the password)', { auths: { 'r.example': { auth: Buffer.from('u:p:w').toString('base64') } } }, 'r.example', { username: 'u', password: 'p:w' }],
    ['username and password fields', { auths: { 'r.example': { username: 'u', password: 'p' } } }, 'r.example', { username: 'u', password: 'p' }],
    ['identity token wins', { auths: { 'r.example': { auth: Buffer.from('u:p').toString('base64'), identitytoken: 'tok' } } }, 'r.example', { identityToken: 'tok' }],
    ['https:// keyed entry', { auths: { 'https://r.example': { username: 'u', password: 'p' } } }, 'r.example', { username: 'u', password: 'p' }],
    ['other host', { auths: { 'r.example': { username: 'u', password: 'p' } } }, 'other.example', undefined],
  ])('%s', async (_n, config, host, expected) => {
    expect(await dockerConfigCredentials(await configDir(JSON.stringify(config)))(host)).toEqual(expected);
  });

  it('no config file means anonymous', async () => {
    expect(await dockerConfigCredentials(await configDir(undefined))('r.example')).toBeUndefined();
  });

  it('refuses a broken file and a malformed auth entry with the fix in the message', async () => {
    await expect(dockerConfigCredentials(await configDir('{'))('r.example')).rejects.toThrow(/expected JSON docker config/);
    await expect(dockerConfigCredentials(await configDir(JSON.stringify({ auths: { r: { auth: Buffer.from('nocolon').toString('base64') } } })))('r')).rejects.toThrow(/expected base64 of user:password/);
  });
});
