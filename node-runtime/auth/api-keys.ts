/**
 * API keys in a request header, checked against the SHA-256 digests a Secret holds (each data key
 * names a client). SHA-256 rather than scrypt: the keys are random (32 bytes or more), so no
 * guessing attack gains from a fast hash, while a slow KDF would cost milliseconds of CPU per
 * request, a lever for anyone sending bad keys. The digest of the presented key is looked up in a
 * map: its timing can only tell about digests, whose preimages are the keys.
 */
import { createHash } from 'node:crypto';
import type { RouteAuth } from '../../api/index.ts';
import { NodeRuntimeError } from '../errors.ts';
import { challenge, type AuthOutcome, type Authenticator } from './outcome.ts';

/** Longest key read; a hex or base64 key of 32 to 64 bytes is far below it. */
export const MAX_KEY_CHARS = 1024;

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** The lowercase hex SHA-256 of a key, what the Secret stores (`printf %s "$KEY" | sha256sum`). */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

type ApiKeySpec = NonNullable<RouteAuth['apiKey']>;

/** Checks the API keys of one route against the digests of its Secret. */
export class ApiKeyAuthenticator implements Authenticator {
  private readonly route: string;
  private readonly realm: string;
  private readonly auth: RouteAuth;
  private readonly spec: ApiKeySpec;
  private readonly clients = new Map<string, string>();

  /** `data`: the Secret's data (client -> digest); throws AuthUnavailable naming a value that is no digest. */
  constructor(route: string, realm: string, auth: RouteAuth, data: ReadonlyMap<string, string>) {
    const spec = auth.apiKey;
    if (!spec) throw new NodeRuntimeError('AuthUnavailable', `route ${route}: spec.auth.type is apiKey but spec.auth.apiKey is missing`);
    this.route = route;
    this.realm = realm;
    this.auth = auth;
    this.spec = spec;
    for (const [client, value] of data) {
      const digest = value.trim().toLowerCase();
      if (!HEX_DIGEST.test(digest)) throw new NodeRuntimeError('AuthUnavailable', `route ${route}: Secret ${spec.secretRef} key ${JSON.stringify(client)}: expected the hex SHA-256 of an API key (64 hex digits), got ${digest.length} characters; store digests, never the keys`);
      this.clients.set(digest, client);
    }
    if (this.clients.size === 0) throw new NodeRuntimeError('AuthUnavailable', `route ${route}: Secret ${spec.secretRef} holds no key digests; add one per client`);
  }

  private refuse(code: 'Unauthenticated' | 'InvalidArgument', message: string, params: Record<string, string> = {}): AuthOutcome {
    return { ok: false, error: new NodeRuntimeError(code, `route ${this.route}: ${message}`), challenge: challenge('ApiKey', { realm: this.realm, header: this.spec.header, ...params }) };
  }

  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): Promise<AuthOutcome> {
    const header = this.spec.header.toLowerCase();
    const value = headers[header];
    if (value === undefined || value === '') return Promise.resolve(this.refuse('Unauthenticated', `expected an API key in header ${this.spec.header}, got none`));
    if (Array.isArray(value) || value.length > MAX_KEY_CHARS) {
      const message = `expected one API key of at most ${MAX_KEY_CHARS} characters in header ${this.spec.header}`;
      return Promise.resolve(this.refuse('InvalidArgument', message, { error: 'invalid_request', error_description: message }));
    }
    const client = this.clients.get(keyDigest(value));
    if (client === undefined) {
      const message = `the API key in header ${this.spec.header} is not one of Secret ${this.spec.secretRef}`;
      return Promise.resolve(this.refuse('Unauthenticated', message, { error: 'invalid_token', error_description: message }));
    }
    const env: (readonly [string, string])[] = [];
    for (const { claim, env: name } of this.auth.claims) if (claim === 'sub') env.push([name, client]);
    return Promise.resolve({ ok: true, caller: { type: 'ApiKey', user: client, env }, withhold: this.auth.passCredential ? [] : [header] });
  }
}
