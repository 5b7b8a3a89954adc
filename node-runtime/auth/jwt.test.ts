import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateFunctionRoute, type RouteAuth } from '../../api/index.ts';
import { bearerToken, JwtAuthenticator } from './jwt.ts';
import type { AuthOutcome } from './outcome.ts';

const ISSUER = 'https://issuer.test';
let signing: CryptoKey;
let other: CryptoKey;
let jwks: { keys: JWK[] };

beforeAll(async () => {
  const a = await generateKeyPair('ES256');
  const b = await generateKeyPair('ES256');
  signing = a.privateKey;
  other = b.privateKey;
  jwks = { keys: [{ ...(await exportJWK(a.publicKey)), kid: 'a', alg: 'ES256', use: 'sig' }] };
});

/** The route's auth as the API defaults it. */
function auth(jwt: object, extra: object = {}): RouteAuth {
  const r = validateFunctionRoute({
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'FunctionRoute',
    metadata: { name: 'r', namespace: 'ns' },
    spec: { host: 'api.test', backends: [{ functionRef: 'f', weight: 100 }], auth: { type: 'jwt', jwt: { issuer: ISSUER, audiences: ['api'], ...jwt }, ...extra } },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.spec.auth;
}

const authenticator = (jwt: object = {}, extra: object = {}) => new JwtAuthenticator('ns/r', 'api.test', auth({ jwks: JSON.stringify(jwks), ...jwt }, extra));

async function token(o: { key?: CryptoKey; kid?: string; iss?: string; aud?: string; expIn?: number; claims?: Record<string, unknown> } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'alice', email: 'a@x.test', ...o.claims })
    .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? 'a' })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? 'api')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (o.expIn ?? 300))
    .sign(o.key ?? signing);
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

function refused(o: AuthOutcome): { code: string; challenge: string | undefined; message: string } {
  if (o.ok) throw new Error('expected a refusal, got a caller');
  return { code: o.error.code, challenge: o.challenge, message: o.error.message };
}

describe('JwtAuthenticator', () => {
  it('admits a valid token and passes only the claims the route names', async () => {
    const o = await authenticator({}, { claims: [{ claim: 'sub', env: 'AUTH_SUB' }, { claim: 'roles', env: 'AUTH_ROLES' }] }).authenticate(bearer(await token({ claims: { roles: ['admin'] } })));
    expect(o).toEqual({ ok: true, caller: { type: 'Bearer', user: 'alice', env: [['AUTH_SUB', 'alice'], ['AUTH_ROLES', '["admin"]']] }, withhold: [] });
  });

  it('passes the raw token only when the route says so', async () => {
    const t = await token();
    const o = await authenticator({}, { passCredential: true }).authenticate(bearer(t));
    expect(o.ok && o.caller.env).toEqual([['HTTP_AUTHORIZATION', `Bearer ${t}`]]);
  });

  it('answers a request without a token with the bare challenge (RFC 6750 §3.1)', async () => {
    expect(refused(await authenticator().authenticate({}))).toMatchObject({ code: 'Unauthenticated', challenge: 'Bearer realm="api.test"' });
    expect(refused(await authenticator().authenticate({ authorization: 'Basic YTpi' })).challenge).toBe('Bearer realm="api.test"');
  });

  it('refuses a malformed header as invalid_request', async () => {
    for (const authorization of ['Bearer ', 'Bearer a b', `Bearer ${'x'.repeat(20000)}`]) {
      const r = refused(await authenticator().authenticate({ authorization }));
      expect(r.code).toBe('InvalidArgument');
      expect(r.challenge).toMatch(/error="invalid_request"/);
    }
  });

  it.each([
    ['expired', { expIn: -120 }, /token expired/],
    ['wrong audience', { aud: 'other' }, /expected audience one of \["api"\], got other/],
    ['wrong issuer', { iss: 'https://evil.test' }, /expected issuer "https:\/\/issuer.test", got "https:\/\/evil.test"/],
    ['wrong key, same kid', { key: undefined as CryptoKey | undefined, wrongKey: true }, /no key verifies/],
    ['unknown kid', { kid: 'b' }, /no key verifies/],
  ])('refuses a token with %s as invalid_token', async (_name, o, message) => {
    const t = await token('wrongKey' in o ? { key: other } : o);
    const r = refused(await authenticator().authenticate(bearer(t)));
    expect(r.code).toBe('Unauthenticated');
    expect(r.challenge).toMatch(/^Bearer realm="api.test", error="invalid_token", error_description=/);
    expect(r.message).toMatch(message);
  });

  it('refuses alg none and algorithms the route does not list', async () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const none = `${enc({ alg: 'none' })}.${enc({ iss: ISSUER, aud: 'api', sub: 'mallory', exp: now + 300 })}.`;
    expect(refused(await authenticator().authenticate(bearer(none))).code).toBe('Unauthenticated');
    expect(refused(await authenticator({ algorithms: ['RS256'] }).authenticate(bearer(await token()))).message).toMatch(/signed with one of RS256/);
  });

  it('refuses a token without exp', async () => {
    const t = await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'ES256', kid: 'a' }).setIssuer(ISSUER).setAudience('api').sign(signing);
    expect(refused(await authenticator().authenticate(bearer(t))).message).toMatch(/exp/);
  });

  it('accepts an expiry within the clock skew and not beyond it', async () => {
    const t = await token({ expIn: -10 });
    expect((await authenticator({ clockSkewSeconds: 30 }).authenticate(bearer(t))).ok).toBe(true);
    expect((await authenticator({ clockSkewSeconds: 5 }).authenticate(bearer(t))).ok).toBe(false);
  });

  it('answers a token without a required scope with 403 insufficient_scope', async () => {
    const a = authenticator({ requiredScopes: ['orders:write'] });
    const r = refused(await a.authenticate(bearer(await token({ claims: { scope: 'orders:read' } }))));
    expect(r).toMatchObject({ code: 'InsufficientScope', challenge: 'Bearer realm="api.test", error="insufficient_scope", scope="orders:write"' });
    expect((await a.authenticate(bearer(await token({ claims: { scope: 'orders:read orders:write' } })))).ok).toBe(true);
    expect((await a.authenticate(bearer(await token({ claims: { scp: ['orders:write'] } })))).ok).toBe(true);
  });

  it('refuses an inline JWKS that is not one when built', () => {
    expect(() => authenticator({ jwks: '{"keys": 1' })).toThrow(/spec.auth.jwt.jwks is not a JWKS/);
  });

  describe('remote JWKS', () => {
    let server: Server;
    let up = true;
    let base = '';
    beforeAll(async () => {
      server = createServer((_req, res) => (up ? res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)) : res.writeHead(500).end()));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const remote = () => new JwtAuthenticator('ns/r', 'api.test', auth({ jwksUri: `${base}/jwks.json` }), { cooldownMs: 0, timeoutMs: 2000, cacheMaxAgeMs: 60_000 });

    it('loads it and verifies against it', async () => {
      const a = remote();
      await a.load();
      expect((await a.authenticate(bearer(await token()))).ok).toBe(true);
    });

    it('is unavailable (503, never open) while the JWKS cannot be had', async () => {
      up = false;
      try {
        const a = remote();
        await expect(a.load()).rejects.toMatchObject({ code: 'AuthUnavailable' });
        const r = refused(await a.authenticate(bearer(await token())));
        expect(r.code).toBe('AuthUnavailable');
        expect(r.challenge).toBeUndefined();
      } finally {
        up = true;
      }
    });

    it('refuses plain http off loopback', () => {
      expect(() => new JwtAuthenticator('ns/r', 'api.test', auth({ jwksUri: 'http://keys.example/jwks.json' }))).toThrow(/must be https/);
    });
  });
});

describe('bearerToken', () => {
  it('reads the token of the Bearer scheme only, case-insensitively', () => {
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
