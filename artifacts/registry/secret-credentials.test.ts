import { describe, expect, it } from 'vitest';
import { secretCredentials } from './secret-credentials.ts';
import type { DockerConfigSecret } from './secret-credentials.ts';

const dockerSecret = (auths: Record<string, unknown>): DockerConfigSecret => ({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') } });
const auth = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString('base64') });

const secrets: Record<string, DockerConfigSecret> = {
  other: dockerSecret({ 'other.example': auth('o', 'p') }),
  regcred: dockerSecret({ 'r.example': auth('ci', 'correct horse') }),
  opaque: { type: 'Opaque', data: { password: Buffer.from('sup3r-s3cret').toString('base64') } },
};
const source = (names: string[]) => secretCredentials((name) => Promise.resolve(secrets[name]), 'fns', names, 'spec.registryCredentials of WasmRuntime fns/edge');

describe('secretCredentials', () => {
  it.each([
    { name: 'the first Secret with an entry for the host, named', names: ['other', 'regcred'], host: 'r.example', expected: { username: 'ci', password: 'correct horse', from: 'Secret fns/regcred' } },
    { name: 'no Secret listed: why, and the fix', names: [], host: 'r.example', expected: { missing: expect.stringMatching(/spec\.registryCredentials of WasmRuntime fns\/edge lists no Secret.*kubernetes\.io\/dockerconfigjson Secret with an entry for r\.example/) as unknown } },
    { name: 'no entry for the host, and a Secret that does not exist: each named', names: ['other', 'gone'], host: 'r.example', expected: { missing: 'no registry credentials for r.example: Secret fns/other (no entry for r.example), Secret fns/gone (not found); add an entry for r.example to one of them (spec.registryCredentials of WasmRuntime fns/edge)' } },
  ])('$name', async ({ names, host, expected }) => {
    expect(await source(names)(host)).toEqual(expected);
  });

  it('refuses a Secret of another type, naming it and never its content', async () => {
    await expect(source(['opaque'])('r.example')).rejects.toThrow(/^Secret fns\/opaque: expected type kubernetes\.io\/dockerconfigjson with data \.dockerconfigjson, got type Opaque/);
    await expect(source(['opaque'])('r.example')).rejects.not.toThrow(/sup3r-s3cret|c3VwM3Itc3MzY3JldA/);
  });
});
