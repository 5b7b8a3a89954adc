/**
 * JWT bearer tokens (RFC 6750) verified with `jose` against the route's JWKS: signature by a key of
 * the set (alg from the route's asymmetric list, never `none`), iss exactly, aud one of the route's,
 * exp required, exp/nbf/iat within the clock skew, then the required scopes. A remote JWKS is
 * cached and refetched when a token names a key it does not hold (rotation), at most once per
 * cooldown. A JWKS the node cannot get answers 503 AuthUnavailable, never lets a request through.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { RouteAuth } from '../../api/index.ts';
import { NodeRuntimeError } from '../errors.ts';
import { challenge, claimValue, type AuthOutcome, type Authenticator } from './outcome.ts';

type JwtSpec = NonNullable<RouteAuth['jwt']>;

/** Longest token read; a real one is a few kB, and a longer one is only work for the verifier. */
export const MAX_TOKEN_CHARS = 16 * 1024;

/** How the node reaches remote JWKS: cooldown between refetches, fetch timeout, cache age. */
export interface JwksOptions {
  readonly cooldownMs: number;
  readonly timeoutMs: number;
  readonly cacheMaxAgeMs: number;
}

export const DEFAULT_JWKS_OPTIONS: JwksOptions = { cooldownMs: 30_000, timeoutMs: 5_000, cacheMaxAgeMs: 600_000 };

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The URL of a remote JWKS: https, or http on loopback only (a JWKS over plain http could be swapped on the way). */
export function jwksUrl(text: string, route: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NodeRuntimeError('AuthUnavailable', `route ${route}: spec.auth.jwt.jwksUri ${JSON.stringify(text)} is not a URL; expected https://...`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return url;
  throw new NodeRuntimeError('AuthUnavailable', `route ${route}: spec.auth.jwt.jwksUri must be https (http only on loopback), got ${url.protocol}//${url.host}`);
}

/** The bearer token of an Authorization header: undefined when there is none (or another scheme), an error when it is malformed. */
export function bearerToken(header: string | string[] | undefined): string | undefined | NodeRuntimeError {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) return new NodeRuntimeError('InvalidArgument', 'expected one Authorization header, got several');
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  const token = header.slice(space + 1).trim();
  if (space === -1 || token.length === 0) return new NodeRuntimeError('InvalidArgument', 'expected Authorization: Bearer <token>, got an empty token');
  if (token.length > MAX_TOKEN_CHARS) return new NodeRuntimeError('InvalidArgument', `expected a bearer token of at most ${MAX_TOKEN_CHARS} characters, got ${token.length}`);
  // RFC 6750 §2.1 b64token; a JWT is three base64url parts.
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) return new NodeRuntimeError('InvalidArgument', 'expected a bearer token of base64url characters, got others');
  return token;
}

/** Whether a jose failure is about getting the keys (the node's problem: 503) rather than the token (the client's: 401). */
function keysUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.code === 'ERR_JOSE_GENERIC';
  // fetch's own failures (connection refused, DNS): TypeError and friends.
  return true;
}

/** Why the token failed, as "expected X, got Y" where jose says which claim. */
function tokenProblem(err: unknown, spec: JwtSpec): string {
  if (err instanceof errors.JWTExpired) return `token expired (exp ${String(err.payload.exp)}, clock skew ${spec.clockSkewSeconds} s); get a new one`;
  if (err instanceof errors.JWTClaimValidationFailed) {
    const got = claimValue(err.payload[err.claim]) ?? 'none';
    if (err.claim === 'iss') return `expected issuer ${JSON.stringify(spec.issuer)}, got ${JSON.stringify(got)}`;
    if (err.claim === 'aud') return `expected audience one of ${JSON.stringify(spec.audiences)}, got ${got}`;
    return `claim ${err.claim}: ${err.message}`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return `expected a token signed with one of ${spec.algorithms.join(', ')}, got another algorithm`;
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSMultipleMatchingKeys) return 'expected a token signed by a key of the route\'s JWKS, got one no key verifies';
  return `malformed token: ${err instanceof Error ? err.message : String(err)}`;
}

/** The space-separated `scope` claim, or the `scp` array some issuers use. */
function scopesOf(payload: JWTPayload): Set<string> {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (typeof scope === 'string') return new Set(scope.split(' ').filter(Boolean));
  if (Array.isArray(scp)) return new Set(scp.filter((s): s is string => typeof s === 'string'));
  return new Set();
}

/** Verifies the bearer JWTs of one route. */
export class JwtAuthenticator implements Authenticator {
  private readonly route: string;
  private readonly realm: string;
  private readonly auth: RouteAuth;
  private readonly spec: JwtSpec;
  private readonly keys: JWTVerifyGetKey;
  private readonly remote: ReturnType<typeof createRemoteJWKSet> | undefined;

  /** Throws AuthUnavailable when the JWKS as written cannot be used (not JSON, not a set, a bad URL). */
  constructor(route: string, realm: string, auth: RouteAuth, options: JwksOptions = DEFAULT_JWKS_OPTIONS) {
    const spec = auth.jwt;
    if (!spec) throw new NodeRuntimeError('AuthUnavailable', `route ${route}: spec.auth.type is jwt but spec.auth.jwt is missing`);
    this.route = route;
    this.realm = realm;
    this.auth = auth;
    this.spec = spec;
    if (spec.jwksUri !== undefined) {
      this.remote = createRemoteJWKSet(jwksUrl(spec.jwksUri, route), { cooldownDuration: options.cooldownMs, timeoutDuration: options.timeoutMs, cacheMaxAge: options.cacheMaxAgeMs });
      this.keys = this.remote;
    } else {
      this.remote = undefined;
      try {
        this.keys = createLocalJWKSet(JSON.parse(spec.jwks ?? '') as Parameters<typeof createLocalJWKSet>[0]);
      } catch (cause) {
        throw new NodeRuntimeError('AuthUnavailable', `route ${route}: spec.auth.jwt.jwks is not a JWKS (${cause instanceof Error ? cause.message : String(cause)}); expected {"keys":[...]}`, { cause });
      }
    }
  }

  /** Fetches a remote JWKS now (at load), so a route whose keys cannot be had is known before a request comes. */
  async load(): Promise<void> {
    if (!this.remote) return;
    try {
      await this.remote.reload();
    } catch (cause) {
      throw this.unavailable(cause);
    }
  }

  private unavailable(cause: unknown): NodeRuntimeError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new NodeRuntimeError('AuthUnavailable', `route ${this.route}: cannot get the JWKS at ${this.spec.jwksUri ?? 'spec.auth.jwt.jwks'} (${why}); requests are refused until it is reachable`, { cause });
  }

  private refuse(code: 'Unauthenticated' | 'InvalidArgument' | 'InsufficientScope', message: string, params: Record<string, string> = {}): AuthOutcome {
    const error = new NodeRuntimeError(code, `route ${this.route}: ${message}`);
    return { ok: false, error, challenge: challenge('Bearer', { realm: this.realm, ...params }) };
  }

  async authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): Promise<AuthOutcome> {
    const token = bearerToken(headers.authorization);
    // RFC 6750 §3.1: a request without credentials gets the challenge without an error code.
    if (token === undefined) return this.refuse('Unauthenticated', 'expected Authorization: Bearer <jwt>, got none');
    if (token instanceof NodeRuntimeError) return this.refuse('InvalidArgument', token.message, { error: 'invalid_request', error_description: token.message });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.spec.issuer,
        audience: [...this.spec.audiences],
        algorithms: [...this.spec.algorithms],
        clockTolerance: this.spec.clockSkewSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (keysUnavailable(err)) return { ok: false, error: this.unavailable(err) };
      const message = tokenProblem(err, this.spec);
      return this.refuse('Unauthenticated', message, { error: 'invalid_token', error_description: message });
    }
    const missing = this.spec.requiredScopes.filter((s) => !scopesOf(payload).has(s));
    if (missing.length > 0) {
      return this.refuse('InsufficientScope', `expected scope(s) ${missing.join(' ')} in the token, got none of them`, { error: 'insufficient_scope', scope: this.spec.requiredScopes.join(' ') });
    }
    const env: (readonly [string, string])[] = [];
    for (const { claim, env: name } of this.auth.claims) {
      const value = claimValue((payload as Record<string, unknown>)[claim]);
      if (value !== undefined) env.push([name, value]);
    }
    if (this.auth.passCredential) env.push(['HTTP_AUTHORIZATION', `Bearer ${token}`]);
    return { ok: true, caller: { type: 'Bearer', user: claimValue(payload.sub) ?? '', env }, withhold: [] };
  }
}
