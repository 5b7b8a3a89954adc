/**
 * Pool key (standalone mode, a bare-LAN site with no API server): every node of the pool holds the
 * same secret key file, and a forwarded request carries `v1.<unix seconds>.<HMAC-SHA256>` over the
 * claim (forwarding node, backend, method, URL, host) and the time. A node without the key cannot
 * make one, so it cannot pose as a peer nor pick a backend; the time bounds a replay to
 * MAX_SKEW_SECONDS (the body is not covered: a replay within that window re-sends what a client
 * could send to the tenant port anyway, minus the choice of backend the claim fixes).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { NodeRuntimeError } from '../errors.ts';
import { checkNode, PeerAuthError, type PeerAuth, type PeerClaim, type PeerIdentity } from './peer-auth.ts';

/** How far a credential's time may be from this node's clock, either way (clock skew plus the request's flight). */
export const MAX_SKEW_SECONDS = 60;

/** Fewest bytes a pool key has: 256 bits (e.g. `openssl rand -hex 32` is 64). */
export const MIN_KEY_BYTES = 32;

const CREDENTIAL = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** The bytes signed for `claim` at `seconds`: one field a line, so no field can run into the next. Pure. */
function signed(claim: PeerClaim, seconds: number): string {
  return ['flotilla-peer/v1', String(seconds), claim.by, claim.backend, claim.method, claim.url, claim.host].join('\n');
}

/** Peer auth with a key every node of the pool shares. */
export class PoolKeyAuth implements PeerAuth {
  readonly kind = 'pool-key';
  private readonly key: Buffer;
  private readonly now: () => number;

  /** `now`: the clock, in ms since the epoch. */
  constructor(key: Uint8Array, now: () => number = Date.now) {
    if (key.length < MIN_KEY_BYTES) throw new NodeRuntimeError('InvalidArgument', `pool key: expected at least ${MIN_KEY_BYTES} bytes, got ${key.length}; make one with \`openssl rand -hex 32 > pool.key\``);
    this.key = Buffer.from(key);
    this.now = now;
  }

  credential(claim: PeerClaim): Promise<string> {
    return Promise.resolve(this.sign(claim, Math.floor(this.now() / 1000)));
  }

  verify(credential: string | undefined, claim: PeerClaim): Promise<PeerIdentity | PeerAuthError> {
    return Promise.resolve(this.check(credential, claim));
  }

  close(): void {}

  private sign(claim: PeerClaim, seconds: number): string {
    return `v1.${seconds}.${createHmac('sha256', this.key).update(signed(claim, seconds)).digest('base64url')}`;
  }

  private check(credential: string | undefined, claim: PeerClaim): PeerIdentity | PeerAuthError {
    if (credential === undefined) return new PeerAuthError('MissingCredential', 'expected a pool key credential (x-flotilla-peer-auth) on a forwarded request, got none; only nodes holding the pool key may forward');
    const m = CREDENTIAL.exec(credential);
    if (!m) return new PeerAuthError('MalformedCredential', 'expected a pool key credential v1.<seconds>.<signature>, got something else');
    const seconds = Number(m[1]);
    const skew = Math.floor(this.now() / 1000) - seconds;
    if (Math.abs(skew) > MAX_SKEW_SECONDS) return new PeerAuthError('ExpiredCredential', `expected a pool key credential signed within ${MAX_SKEW_SECONDS} s of now, got one ${skew} s off; check both nodes' clocks (NTP)`);
    const expected = Buffer.from(createHmac('sha256', this.key).update(signed(claim, seconds)).digest());
    const got = Buffer.from(m[2]!, 'base64url');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return new PeerAuthError('BadSignature', 'expected a credential signed with this pool\'s key for this request, got another signature; check that every node of the pool has the same --peer-key-file');
    return checkNode({ principal: 'pool-key', node: claim.by }, claim);
  }
}

/** Reads a pool key file: its bytes, trailing whitespace trimmed (a key made with `openssl rand -hex 32 > file`). */
export async function loadPoolKey(path: string): Promise<PoolKeyAuth> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    throw new NodeRuntimeError('InvalidArgument', `--peer-key-file: expected a readable key file, got ${(err as Error).message}`, { cause: err });
  }
  let end = text.length;
  while (end > 0 && (text[end - 1] === 0x0a || text[end - 1] === 0x0d || text[end - 1] === 0x20)) end--;
  return new PoolKeyAuth(text.subarray(0, end));
}
