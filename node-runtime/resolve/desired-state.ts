/**
 * The desired state the node serves, in the runtime's own terms: functions (module, limits,
 * grants, state binding), routes and event triggers. Sources (standalone manifests, or the
 * operator's assignment in cluster mode) produce it; the node applies it. Pure data.
 */
import type { FunctionRouteSpec, FunctionTrigger, RouteAuth } from '../../api/index.ts';
import type { Reference } from '../../artifacts/index.ts';
import type { Grants } from '../capabilities/registry.ts';

export type ModuleSource =
  | { readonly kind: 'oci'; readonly ref: Reference; readonly digest: string; readonly text: string }
  /** A local file handed over by the user (`flotilla run` / `serve`): no signature, the user vouched for it. */
  | { readonly kind: 'file'; readonly path: string };

export interface FunctionDef {
  /** namespace/name */
  readonly key: string;
  readonly module: ModuleSource;
  readonly memoryPages: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly env: readonly { readonly name: string; readonly value: string }[];
  /** Opt-in instance reuse (annotation flotilla.dev/instance-reuse: "true"). */
  readonly reuse: boolean;
  /**
   * What the spec grants each host capability (capabilities/registry.ts): preopened volumes,
   * the `flotilla:kv` store (spec.state.store)... A capability with no grant gets its default.
   */
  readonly grants: Grants;
}

export interface RouteDef {
  /** namespace/name */
  readonly key: string;
  /** Lowercase host, `*.` wildcard allowed, or "*" for any host. */
  readonly host: string;
  readonly pathPrefix: string;
  /** Empty matches every method. */
  readonly methods: readonly string[];
  readonly backends: readonly { readonly functionKey: string; readonly weight: number }[];
  readonly timeoutMs: number;
  /** Route policies, enforced per node by http/route-policy*.ts. Absent: none (no retries, no breaker, no limit); retries only when they retry or bound an attempt. */
  readonly retries?: FunctionRouteSpec['retries'];
  readonly circuitBreaker?: FunctionRouteSpec['circuitBreaker'];
  readonly rateLimit?: FunctionRouteSpec['rateLimit'];
  /** The authentication the route requires (auth/route-auth.ts), checked before the body is read; absent: type none. Never inline. */
  readonly auth?: RouteAuth;
}

export interface DesiredState {
  readonly functions: ReadonlyMap<string, FunctionDef>;
  readonly routes: readonly RouteDef[];
  /**
   * Event triggers (cron, nats, mqtt) of hosted functions, validated and defaulted by api/; the
   * node's EventRuntime runs them (http triggers are served by routes and never appear here).
   */
  readonly triggers: readonly FunctionTrigger[];
  /**
   * Cluster mode, scale from zero: functions routes may name that this node does not run (scaled to
   * zero, or running on other nodes). A request for one is held while the node asks the operator
   * for it (api/node-contract.ts); they are never loaded from here. Absent: none.
   */
  readonly dormant?: ReadonlyMap<string, FunctionDef>;
  /**
   * Cluster mode, forwarding: functions routes may name that run on other nodes only, with the
   * endpoints of those nodes; a request for one is forwarded there (http/forward.ts). Absent: none.
   */
  readonly remote?: ReadonlyMap<string, readonly string[]>;
  /** Cluster mode, scale to zero: per function key, how long without an invocation before the node reports it idle. */
  readonly idleAfterMs?: ReadonlyMap<string, number>;
}

/** Where desired state comes from: a manifest directory (standalone) or the operator (cluster mode). */
export interface DesiredStateSource {
  /** Starts delivering states to `apply` (the first one before the promise resolves). */
  start(apply: (state: DesiredState) => void): Promise<void>;
  close(): Promise<void>;
}

/** Identity of a function's loaded module: a change in any part (a grant too) needs new instances. */
export function moduleIdentity(fn: FunctionDef): string {
  const m = fn.module.kind === 'oci' ? fn.module.digest : `file:${fn.module.path}`;
  return JSON.stringify([fn.key, m, fn.memoryPages, fn.reuse, fn.grants]);
}
