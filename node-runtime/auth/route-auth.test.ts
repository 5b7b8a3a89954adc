import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAuth } from '../../api/index.ts';
import type { RouteDef } from '../resolve/desired-state.ts';
import { keyDigest } from './api-keys.ts';
import { RouteAuthenticators } from './route-auth.ts';
import { secretsDir } from './secrets-dir.ts';

const KEY = 'k'.repeat(43);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-route-auth-'));
  await mkdir(join(dir, 'ns', 'keys'), { recursive: true });
  await writeFile(join(dir, 'ns', 'keys', 'billing'), `${keyDigest(KEY)}\n`);
  await writeFile(join(dir, 'ns', 'keys', '..data'), 'skipped');
  await mkdir(join(dir, 'ns', 'plain'), { recursive: true });
  await writeFile(join(dir, 'ns', 'plain', 'billing'), KEY);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const apiKey = (secretRef: string, extra: Partial<RouteAuth> = {}): RouteAuth => ({ type: 'apiKey', apiKey: { header: 'x-api-key', secretRef }, claims: [{ claim: 'sub', env: 'AUTH_CLIENT' }], passCredential: false, ...extra });
const route = (name: string, auth: RouteAuth): RouteDef => ({ key: `ns/${name}`, host: 'api.test', pathPrefix: '/', methods: [], backends: [{ functionKey: 'ns/f', weight: 100 }], timeoutMs: 1000, auth });

describe('RouteAuthenticators', () => {
  const logger = pino({ level: 'silent' });

  it('checks API keys against the digests of the Secret and withholds the key header', async () => {
    const auths = new RouteAuthenticators({ logger, secrets: secretsDir(dir) });
    const r = route('a', apiKey('keys'));
    await auths.sync([r]);
    expect(await auths.authenticate(r, { 'x-api-key': KEY })).toEqual({ ok: true, caller: { type: 'ApiKey', user: 'billing', env: [['AUTH_CLIENT', 'billing']] }, withhold: ['x-api-key'] });
    const wrong = await auths.authenticate(r, { 'x-api-key': `${KEY}x` });
    expect(wrong.ok || wrong.challenge).toBe('ApiKey realm="api.test", header="x-api-key", error="invalid_token", error_description="the API key in header x-api-key is not one of Secret keys"');
    const none = await auths.authenticate(r, {});
    expect(!none.ok && none.error.code).toBe('Unauthenticated');
    expect(auths.degraded()).toEqual([]);
  });

  it.each([
    ['no Secret source (cluster mode)', undefined, apiKey('keys'), /reads no Secrets/],
    ['a missing Secret', 'dir', apiKey('absent'), /Secret ns\/absent not found/],
    ['a Secret holding keys, not digests', 'dir', apiKey('plain'), /expected the hex SHA-256 of an API key/],
    ['mtls', 'dir', { type: 'mtls', claims: [], passCredential: false } satisfies RouteAuth, /nodes serve no TLS yet/],
  ])('refuses every request with 503 and reports the route degraded for %s', async (_name, source, auth, reason) => {
    let changes = 0;
    const auths = new RouteAuthenticators({ logger, ...(source ? { secrets: secretsDir(dir) } : {}), changed: () => changes++ });
    const r = route('d', auth);
    await auths.sync([r]);
    expect(changes).toBe(1);
    const o = await auths.authenticate(r, { 'x-api-key': KEY });
    expect(!o.ok && o.error.code).toBe('AuthUnavailable');
    expect(auths.degraded().map((d) => d.route)).toEqual(['ns/d']);
    expect(auths.degraded()[0]?.message).toMatch(reason);
  });

  it('refuses a route it has not loaded yet, or loaded with other settings', async () => {
    const auths = new RouteAuthenticators({ logger, secrets: secretsDir(dir) });
    const r = route('a', apiKey('keys'));
    const early = await auths.authenticate(r, { 'x-api-key': KEY });
    expect(!early.ok && early.error.message).toMatch(/still loading/);
    await auths.sync([r]);
    const changed = await auths.authenticate(route('a', apiKey('keys', { passCredential: true })), { 'x-api-key': KEY });
    expect(changed.ok).toBe(false);
  });
});
