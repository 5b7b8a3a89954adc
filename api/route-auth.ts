/**
 * What a route's authentication needs that cluster-mode nodes cannot give yet, said once for the
 * operator (FunctionRoute Ready=False / Degraded AuthNotEnforceable) and `flotilla check`. Nodes
 * refuse such a route's requests with 503 on their own (node-runtime/auth/route-auth.ts); this is
 * so the user learns it before a request does.
 */
import type { RouteAuth } from './function-route.ts';

/** A field of a route's auth that nodes cannot enforce, and why; undefined when they can. */
export interface AuthGap {
  /** Dotted path under the route, e.g. `spec.auth.type`. */
  readonly field: string;
  readonly message: string;
}

const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//;

/** The gap of `auth` on cluster-mode nodes, if any. */
export function clusterAuthGap(auth: RouteAuth): AuthGap | undefined {
  if (auth.type === 'mtls') return { field: 'spec.auth.type', message: 'auth.type mtls needs client certificates, and nodes serve no TLS yet: every request would get 503; use jwt or apiKey' };
  if (auth.type === 'apiKey') return { field: 'spec.auth.apiKey.secretRef', message: `auth.type apiKey reads Secret ${auth.apiKey?.secretRef ?? '?'}, and cluster-mode nodes read no Secrets yet: every request would get 503; use jwt (standalone nodes read it from --secrets-dir)` };
  const uri = auth.jwt?.jwksUri;
  if (auth.type === 'jwt' && uri !== undefined && !uri.startsWith('https://') && !LOOPBACK.test(uri)) return { field: 'spec.auth.jwt.jwksUri', message: `nodes fetch a JWKS over https only (plain http on loopback), got ${uri}: every request would get 503` };
  return undefined;
}
