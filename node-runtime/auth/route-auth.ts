/**
 * Every route's authenticator on this node, kept in step with the route table. A route whose auth
 * the node cannot enforce (JWKS unreachable, Secret missing or wrong, mTLS, still loading) stays in
 * the table and answers 503 AuthUnavailable: dropping it would let a less specific route, maybe an
 * open one, answer its requests. Such routes are listed by `degraded()` with the reason, for the
 * node's report and its log.
 */
import type { Logger } from 'pino';
import type { RouteAuth } from '../../api/index.ts';
import { NodeRuntimeError } from '../errors.ts';
import type { RouteDef } from '../resolve/desired-state.ts';
import { ApiKeyAuthenticator } from './api-keys.ts';
import { DEFAULT_JWKS_OPTIONS, JwtAuthenticator, type JwksOptions } from './jwt.ts';
import type { AuthOutcome, Authenticator } from './outcome.ts';
import type { SecretSource } from './secrets-dir.ts';

export interface RouteAuthOptions {
  readonly logger: Logger;
  /** Where Secrets are read (standalone: --secrets-dir); absent: this node reads none, so Secret-backed auth cannot be enforced. */
  readonly secrets?: SecretSource;
  readonly jwks?: JwksOptions;
  /** Called when the set of routes this node cannot enforce changes (for the node's report). */
  readonly changed?: () => void;
}

/** A route this node cannot enforce the auth of, and why (for the report and `flotilla check`). */
export interface DegradedRoute {
  readonly route: string;
  readonly message: string;
}

interface Entry {
  readonly fingerprint: string;
  readonly authenticator: Authenticator | undefined;
  /** Why requests are refused now; undefined while the authenticator works. */
  unavailable: string | undefined;
}

/** The per-node set of route authenticators. */
export class RouteAuthenticators {
  private readonly o: RouteAuthOptions;
  private entries = new Map<string, Entry>();

  constructor(o: RouteAuthOptions) {
    this.o = o;
  }

  /** Builds the authenticators of new or changed routes (reading Secrets, fetching JWKS) and drops those of routes gone. */
  async sync(routes: readonly RouteDef[]): Promise<void> {
    const next = new Map<string, Entry>();
    await Promise.all(routes.map(async (r) => {
      if (!r.auth) return;
      const fingerprint = JSON.stringify(r.auth);
      const kept = this.entries.get(r.key);
      // Secrets are read again on every sync: a rotated key takes effect with the next desired state.
      next.set(r.key, kept?.fingerprint === fingerprint && r.auth.type === 'jwt' ? kept : await this.build(r, r.auth, fingerprint));
    }));
    const before = JSON.stringify(this.degraded());
    for (const [key, e] of next) {
      const was = this.entries.get(key)?.unavailable;
      if (e.unavailable !== undefined && e.unavailable !== was) this.o.logger.warn({ route: key }, `Route auth not enforceable, refusing its requests: ${e.unavailable}`);
    }
    this.entries = next;
    if (JSON.stringify(this.degraded()) !== before) this.o.changed?.();
  }

  private async build(r: RouteDef, auth: RouteAuth, fingerprint: string): Promise<Entry> {
    try {
      const authenticator = await this.authenticatorOf(r, auth);
      // A remote JWKS that does not load keeps its authenticator: a later request fetches again.
      const unavailable = authenticator instanceof JwtAuthenticator ? await authenticator.load().then(() => undefined, (err: unknown) => (err instanceof Error ? err.message : String(err))) : undefined;
      return { fingerprint, authenticator, unavailable };
    } catch (err) {
      if (!(err instanceof NodeRuntimeError)) throw err;
      return { fingerprint, authenticator: undefined, unavailable: err.message };
    }
  }

  private async authenticatorOf(r: RouteDef, auth: RouteAuth): Promise<Authenticator> {
    const [namespace = 'default'] = r.key.split('/');
    const realm = r.host;
    switch (auth.type) {
      case 'jwt':
        return new JwtAuthenticator(r.key, realm, auth, this.o.jwks ?? DEFAULT_JWKS_OPTIONS);
      case 'apiKey': {
        const secretRef = auth.apiKey?.secretRef ?? '';
        if (!this.o.secrets) throw new NodeRuntimeError('AuthUnavailable', `route ${r.key}: spec.auth.apiKey.secretRef names Secret ${namespace}/${secretRef}, and this node reads no Secrets (cluster-mode nodes cannot yet; standalone: --secrets-dir); use auth.type jwt`);
        const data = await this.o.secrets(namespace, secretRef);
        if (!data) throw new NodeRuntimeError('AuthUnavailable', `route ${r.key}: Secret ${namespace}/${secretRef} not found; create it with one key digest per client`);
        return new ApiKeyAuthenticator(r.key, realm, auth, data);
      }
      case 'mtls':
        throw new NodeRuntimeError('AuthUnavailable', `route ${r.key}: spec.auth.type mtls needs client certificates, and nodes serve no TLS yet; use jwt or apiKey`);
      default:
        throw new NodeRuntimeError('AuthUnavailable', `route ${r.key}: spec.auth.type ${auth.type} is not enforced by this node`);
    }
  }

  /** Authenticates a request for `route`; a route whose auth is not (yet) enforceable is refused, never served open. */
  async authenticate(route: RouteDef, headers: Readonly<Record<string, string | string[] | undefined>>): Promise<AuthOutcome> {
    const entry = this.entries.get(route.key);
    if (!entry || entry.fingerprint !== JSON.stringify(route.auth)) {
      return { ok: false, error: new NodeRuntimeError('AuthUnavailable', `route ${route.key}: its authentication is still loading on this node; retry`) };
    }
    if (!entry.authenticator) return { ok: false, error: new NodeRuntimeError('AuthUnavailable', entry.unavailable ?? `route ${route.key}: auth not enforceable`) };
    const outcome = await entry.authenticator.authenticate(headers);
    const now = !outcome.ok && outcome.error.code === 'AuthUnavailable' ? outcome.error.message : undefined;
    if (now !== entry.unavailable) {
      if (now !== undefined) this.o.logger.warn({ route: route.key }, `Route auth not enforceable, refusing its requests: ${now}`);
      else this.o.logger.info({ route: route.key }, 'Route auth enforceable again');
      entry.unavailable = now;
      this.o.changed?.();
    }
    return outcome;
  }

  /** Routes whose auth this node cannot enforce now, with the reason. */
  degraded(): DegradedRoute[] {
    return [...this.entries].filter(([, e]) => e.unavailable !== undefined).map(([route, e]) => ({ route, message: e.unavailable! }));
  }
}
