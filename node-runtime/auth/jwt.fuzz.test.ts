/** Fuzzing JWT verification: any Authorization header gives an outcome (never a throw), and no token but the one signed is admitted. */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RouteAuth } from '../../api/index.ts';
import { FUZZ_RUNS } from '../../api/testdata/fuzz.ts';
import { NodeRuntimeError } from '../errors.ts';
import { JwtAuthenticator } from './jwt.ts';

let authenticator: JwtAuthenticator;
let valid = '';

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const auth: RouteAuth = {
    type: 'jwt',
    jwt: { issuer: 'https://i.test', audiences: ['api'], jwks: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }), algorithms: ['ES256', 'RS256', 'EdDSA'], clockSkewSeconds: 0, requiredScopes: [] },
    claims: [{ claim: 'sub', env: 'AUTH_SUB' }],
    passCredential: false,
  };
  authenticator = new JwtAuthenticator('ns/r', 'api.test', auth);
  valid = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer('https://i.test').setAudience('api').setExpirationTime('5m').sign(privateKey);
});

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

describe('JwtAuthenticator (fuzzed)', () => {
  it('answers any Authorization header with an outcome whose error is ours', async () => {
    const header = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ maxLength: 300 }).map((s) => `Bearer ${s}`),
      fc.tuple(fc.jsonValue(), fc.jsonValue(), fc.string({ maxLength: 40 })).map(([h, p, s]) => `Bearer ${b64(h)}.${b64(p)}.${b64(s)}`),
      fc.tuple(fc.record({ alg: fc.constantFrom('none', 'ES256', 'HS256', 'RS256', 'EdDSA', ''), kid: fc.constantFrom('k', 'x'), crit: fc.array(fc.string(), { maxLength: 2 }), b64: fc.boolean() }, { requiredKeys: ['alg'] }), fc.dictionary(fc.constantFrom('iss', 'aud', 'exp', 'nbf', 'iat', 'sub'), fc.jsonValue())).map(([h, p]) => `Bearer ${b64(h)}.${b64(p)}.`),
    );
    await fc.assert(
      fc.asyncProperty(header, async (authorization) => {
        const o = await authenticator.authenticate({ authorization });
        expect(o.ok).toBe(false);
        if (!o.ok) expect(o.error).toBeInstanceOf(NodeRuntimeError);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('admits the signed token and no one-character change of it', async () => {
    expect((await authenticator.authenticate({ authorization: `Bearer ${valid}` })).ok).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: valid.length - 1 }), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'), async (at, c) => {
        const changed = valid.slice(0, at) + c + valid.slice(at + 1);
        fc.pre(changed !== valid);
        const o = await authenticator.authenticate({ authorization: `Bearer ${changed}` });
        // base64url's last character may carry unused bits: a change there can decode to the same bytes.
        if (o.ok) expect(Buffer.from(changed.split('.')[2] ?? '', 'base64url')).toEqual(Buffer.from(valid.split('.')[2] ?? '', 'base64url'));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
