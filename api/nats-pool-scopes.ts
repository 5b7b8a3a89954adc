/**
 * What each node pool of a cluster touches on the cluster's NATS, read off its manifests: the
 * functions placed on the pool (`spec.runtimeClass`), their triggers and chains. The input of
 * poolPermissions, so a site's nats-server config follows what Git says. Pure.
 */
import type { FlotillaManifests } from './manifests.ts';
import { shownKey, triggerDurable, USER_NKEY, type NatsPoolScope } from './nats-permissions.ts';

const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? 'default'}/${name}`;

/**
 * One scope per WasmRuntime ("ns/name") of `manifests`, with its public nkey from `nkeys`. Only
 * triggers on the cluster's NATS (`spec.nats.url` equal to `natsUrl`) are the pool's consumers
 * there. Throws when a pool has no key (its nodes would be refused) or a key names no pool.
 */
export function natsPoolScopes(manifests: FlotillaManifests, natsUrl: string, nkeys: Readonly<Record<string, string>>): NatsPoolScope[] {
  const pools = manifests.runtimes.map((r) => keyOf(r.metadata.namespace, r.metadata.name)).sort();
  const missing = pools.filter((p) => nkeys[p] === undefined);
  if (missing.length > 0) throw new Error(`NATS keys: expected a public nkey for every WasmRuntime, got none for ${missing.join(', ')}; make one with \`flotilla nats keygen\` and pass --key <namespace>/<runtime>=<U...>`);
  const unknown = Object.keys(nkeys).filter((k) => !pools.includes(k)).sort();
  if (unknown.length > 0) throw new Error(`NATS keys: expected keys for WasmRuntimes of the manifests (${pools.join(', ') || 'none'}), got ${unknown.join(', ')}; remove them or fix the names`);
  const bad = Object.entries(nkeys).find(([, k]) => !USER_NKEY.test(k));
  if (bad) throw new Error(`NATS key of ${bad[0]}: expected a public user nkey (U and 55 base32 characters), got ${shownKey(bad[1])}; use the public key \`flotilla nats keygen\` printed, never the seed`);

  const poolOf = new Map(manifests.functions.map((f) => [keyOf(f.metadata.namespace, f.metadata.name), keyOf(f.metadata.namespace, f.spec.runtimeClass)]));
  return pools.map((pool) => {
    const functions = manifests.functions.filter((f) => poolOf.get(keyOf(f.metadata.namespace, f.metadata.name)) === pool);
    const triggers = manifests.triggers.filter((t) => poolOf.get(keyOf(t.metadata.namespace, t.spec.functionRef)) === pool);
    return {
      nkey: nkeys[pool]!,
      functions: functions.map((f) => keyOf(f.metadata.namespace, f.metadata.name)).sort(),
      sharedState: functions.filter((f) => f.spec.state?.store === 'nats').map((f) => keyOf(f.metadata.namespace, f.metadata.name)).sort(),
      chainSteps: [...new Set(triggers.flatMap((t) => [t.spec.functionRef, ...t.spec.next.map((n) => n.functionRef)].map((fn) => keyOf(t.metadata.namespace, fn))))].sort(),
      natsTriggers: triggers.flatMap((t) => {
        const nats = t.spec.nats;
        if (t.spec.type !== 'nats' || nats === undefined || nats.url !== natsUrl) return [];
        const key = keyOf(t.metadata.namespace, t.metadata.name);
        return [{ key, stream: nats.stream, subject: nats.subject, durable: triggerDurable(key, nats.durable), ...(t.spec.deadLetter ? { deadLetter: t.spec.deadLetter.target } : {}) }];
      }),
    };
  });
}
