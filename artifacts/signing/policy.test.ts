import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VerifyError } from '../errors.ts';
import { publicKeyPem } from './keys.ts';
import { checkIdentity, compilePolicy, mostSpecific } from './policy.ts';

const GH = 'https://token.actions.githubusercontent.com';
const GOOGLE = 'https://accounts.google.com';
const policy = compilePolicy({
  keys: [],
  identities: [
    { issuer: GH, subjectRegExp: 'https://github\\.com/acme/.+/\\.github/workflows/release\\.yml@refs/tags/v.*' },
    { issuer: GOOGLE, subject: 'release@acme.example' },
    { issuer: GOOGLE, subjectRegExp: 'ci-[0-9]+@acme\\.example' },
  ],
});

describe('checkIdentity', () => {
  it.each([
    ['exact subject and issuer', { subject: 'release@acme.example', issuer: GOOGLE }, undefined],
    ['pattern match', { subject: 'https://github.com/acme/fn/.github/workflows/release.yml@refs/tags/v1.2.0', issuer: GH }, undefined],
    ['second pattern under the same issuer', { subject: 'ci-42@acme.example', issuer: GOOGLE }, undefined],
    ['pattern is anchored at the end', { subject: 'ci-42@acme.example.evil.com', issuer: GOOGLE }, 'IdentityMismatch'],
    ['pattern is anchored at the start', { subject: 'evil https://github.com/acme/fn/.github/workflows/release.yml@refs/tags/v1', issuer: GH }, 'IdentityMismatch'],
    ['other repository', { subject: 'https://github.com/evil/fn/.github/workflows/release.yml@refs/tags/v1', issuer: GH }, 'IdentityMismatch'],
    ['exact subject differs', { subject: 'release@acme.example.evil', issuer: GOOGLE }, 'IdentityMismatch'],
    ['subject trusted under another issuer', { subject: 'release@acme.example', issuer: GH }, 'IdentityMismatch'],
    ['unknown issuer', { subject: 'release@acme.example', issuer: 'https://evil.example' }, 'IssuerMismatch'],
    ['no issuer', { subject: 'release@acme.example', issuer: undefined }, 'IssuerMismatch'],
  ])('%s', (_name, got, code) => {
    if (code === undefined) {
      expect(() => checkIdentity(policy, got)).not.toThrow();
      return;
    }
    try {
      checkIdentity(policy, got);
      expect.fail('expected a VerifyError');
    } catch (err) {
      expect(err).toBeInstanceOf(VerifyError);
      expect((err as VerifyError).code).toBe(code);
      expect((err as VerifyError).message).toMatch(/^expected .+, got .+/);
    }
  });

  it('a policy without identities rejects every keyless signer', () => {
    expect(() => checkIdentity(compilePolicy({ keys: [], identities: [] }), { subject: 'a', issuer: GH })).toThrow(/trusts no identities/);
  });
});

describe('compilePolicy', () => {
  const pem = publicKeyPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
  it.each([
    [{ keys: ['not a key'], identities: [] }, /keys\[0\]: expected a PEM 'PUBLIC KEY' block/],
    [{ keys: [publicKeyPem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey)], identities: [] }, /expected an ECDSA P-256 key, got EC secp384r1/],
    [{ keys: [], identities: [{ issuer: GH }] }, /exactly one of subject or subjectRegExp, got neither/],
    [{ keys: [], identities: [{ issuer: GH, subject: 'a', subjectRegExp: 'a' }] }, /got both/],
    [{ keys: [], identities: [{ issuer: '', subject: 'a' }] }, /issuer: expected an OIDC issuer URL/],
    [{ keys: [], identities: [{ issuer: GH, subjectRegExp: '(' }] }, /subjectRegExp: expected a valid regular expression/],
    [{ keys: 'x', identities: [] }, /expected \{ keys: PEM\[\]/],
  ])('rejects %j', (input, message) => {
    expect(() => compilePolicy(input as never)).toThrow(message);
  });

  it('accepts P-256 keys', () => {
    expect(compilePolicy({ keys: [pem], identities: [] }).keys).toHaveLength(1);
  });
});

describe('mostSpecific', () => {
  it('prefers a valid signature over the wrong digest to an unknown key', () => {
    const errs = [new VerifyError('UntrustedKey', 'a'), new VerifyError('PayloadMismatch', 'b'), new VerifyError('MalformedSignature', 'c')];
    expect(mostSpecific(errs)?.code).toBe('PayloadMismatch');
    expect(mostSpecific([])).toBeUndefined();
  });
});
