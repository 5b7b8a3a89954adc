import { TRUST_POLICY_KEY } from '../../api/index.ts';
import { OciError, openStore, parseReference, requireDigest, secretCredentials, verifySignatures } from '../../artifacts/index.ts';
import type { DockerConfigSecret, StoreOptions, TrustPolicy } from '../../artifacts/index.ts';
import type { ConfigMap } from '../nodes/assignment.ts';
import type { Store } from '../../kube/index.ts';
import { failureFor } from './verification.ts';
import type { ModuleVerifier, Verification } from './verification.ts';


/** Successful verifications kept before the cache starts over (a bound, not a tuning knob). */
const MAX_CACHED = 10_000;

/**
 * The operator's verifier: the trust policy comes from the cached ConfigMap in the operator
 * namespace, the signatures are checked in the module's registry with artifacts/ (the same code the
 * node runtime runs before executing). A success is remembered per ref and *policy version*: a
 * pinned digest cannot change, and any edit of the policy (a revoked key) re-verifies at once.
 * Failures are never cached; the reconcile's retry decides when to look again. The registry is
 * reached with the pool's `registryCredentials` Secrets, read at each pull (not cached: a rotated
 * password applies to the next verification); which Secrets is part of the success's key, so
 * dropping one re-verifies.
 */
export function artifactVerifier(deps: {
  policies: Store<ConfigMap>;
  namespace: string;
  registry?: StoreOptions;
  /** A Secret by namespace and name; undefined when it does not exist. */
  secret: (namespace: string, name: string) => Promise<DockerConfigSecret | undefined>;
}): ModuleVerifier {
  const verified = new Map<string, Verification>();

  function policy(name: string): { policy: TrustPolicy; version: string } | Verification {
    const where = `${deps.namespace}/${name}`;
    const cm = deps.policies.get(where);
    if (!cm) {
      return { ok: false, condition: 'SignatureVerified', reason: 'TrustPolicyNotFound', message: `trust policy ConfigMap ${where} not found: create it (policies/) or fix the WasmRuntime's spec.trustPolicyRef` };
    }
    const text = cm.data?.[TRUST_POLICY_KEY];
    try {
      if (text === undefined) throw new Error(`no data key ${TRUST_POLICY_KEY}`);
      return { policy: JSON.parse(text) as TrustPolicy, version: cm.metadata.resourceVersion ?? '' };
    } catch (err) {
      return { ok: false, condition: 'SignatureVerified', reason: 'TrustPolicyNotFound', message: `trust policy ConfigMap ${where} is unreadable: ${(err as Error).message}; expected JSON { keys, identities } under ${TRUST_POLICY_KEY}` };
    }
  }

  return {
    async verify(ref, trustPolicy, credentials) {
      const p = policy(trustPolicy);
      if ('ok' in p) return p;
      const key = `${ref}|${trustPolicy}@${p.version}|${credentials?.secrets.join(',') ?? ''}`;
      const hit = verified.get(key);
      if (hit) return hit;
      let result: Verification;
      try {
        const parsed = parseReference(ref);
        const digest = requireDigest(parsed);
        // No Secrets listed and the operator has credentials of its own (--registry-config): those.
        const registry: StoreOptions = credentials && (credentials.secrets.length > 0 || deps.registry?.credentials === undefined)
          ? { ...deps.registry, credentials: secretCredentials((name) => deps.secret(credentials.namespace, name), credentials.namespace, credentials.secrets, `spec.registryCredentials of WasmRuntime ${credentials.namespace}/${credentials.runtime}`) }
          : (deps.registry ?? {});
        const store = await openStore(parsed, registry);
        result = { ok: true, digest: (await verifySignatures(store, digest, p.policy)).digest };
      } catch (err) {
        // Abandoned because the operator is stopping: no verdict on the module, so no condition to write.
        if (err instanceof OciError && err.code === 'Aborted') throw err;
        return failureFor(err);
      }
      if (verified.size >= MAX_CACHED) verified.clear();
      verified.set(key, result);
      return result;
    },
  };
}
