import { describe, expect, it } from 'vitest';
import { PeerAuthError, type PeerClaim } from './peer-auth.ts';
import { MAX_SKEW_SECONDS, PoolKeyAuth } from './pool-key.ts';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef0123456789abcdef');
const claim: PeerClaim = { by: 'a', backend: 'edge/echo', method: 'POST', url: '/split?x=1', host: 'apps.example' };
const at = (ms: number) => () => ms;
const NOW = 1_800_000_000_000;

const code = (v: unknown) => (v instanceof PeerAuthError ? v.code : 'ok');

describe('PoolKeyAuth', () => {
  it('accepts its own credential for the same claim, naming the signed node', async () => {
    const auth = new PoolKeyAuth(KEY, at(NOW));
    expect(await auth.verify(await auth.credential(claim), claim)).toEqual({ principal: 'pool-key', node: 'a' });
  });

  it.each<[string, Partial<PeerClaim>]>([
    ['another node', { by: 'b' }],
    ['another backend', { backend: 'edge/hello' }],
    ['another method', { method: 'GET' }],
    ['another URL', { url: '/split?x=2' }],
    ['another host', { host: 'other.example' }],
    ['a field run into the next', { by: 'a\nedge/echo', backend: '' }],
  ])('refuses a credential replayed for %s (BadSignature)', async (_, change) => {
    const auth = new PoolKeyAuth(KEY, at(NOW));
    expect(code(await auth.verify(await auth.credential(claim), { ...claim, ...change }))).toBe('BadSignature');
  });

  it('refuses a credential made with another key, a missing one and a malformed one', async () => {
    const other = new PoolKeyAuth(Buffer.from('another key of at least thirty-two bytes!!'), at(NOW));
    const auth = new PoolKeyAuth(KEY, at(NOW));
    expect(code(await auth.verify(await other.credential(claim), claim))).toBe('BadSignature');
    expect(code(await auth.verify(undefined, claim))).toBe('MissingCredential');
    expect(code(await auth.verify('Bearer x', claim))).toBe('MalformedCredential');
    expect(code(await auth.verify('v1.1.short', claim))).toBe('MalformedCredential');
  });

  it(`refuses a credential more than ${MAX_SKEW_SECONDS} s old or ahead (ExpiredCredential), accepts one within`, async () => {
    const signer = new PoolKeyAuth(KEY, at(NOW));
    const credential = await signer.credential(claim);
    for (const [offsetS, want] of [[MAX_SKEW_SECONDS, 'ok'], [MAX_SKEW_SECONDS + 1, 'ExpiredCredential'], [-MAX_SKEW_SECONDS - 1, 'ExpiredCredential']] as const) {
      expect(code(await new PoolKeyAuth(KEY, at(NOW + offsetS * 1000)).verify(credential, claim))).toBe(want);
    }
  });

  it('refuses a key shorter than 32 bytes, naming how to make one', () => {
    expect(() => new PoolKeyAuth(Buffer.from('short'))).toThrow(/at least 32 bytes, got 5; make one with `openssl rand -hex 32/);
  });
});
