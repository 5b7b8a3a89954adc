import { TRUST_POLICY_KEY } from '../../api/index.ts';
import { OciError, openStore, parseReference, requireDigest, verifySignatures } from '../../artifacts/index.ts';
import type { StoreOptions, TrustPolicy } from '../../artifacts/index.ts';
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
 * Failures are never cached; the reconcile's retry decides when to look again.
 */
export function artifactVerifier(deps: { policies: Store<ConfigMap>; namespace: string; registry?: StoreOptions }): ModuleVerifier {
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
    async verify(ref, trustPolicy) {
      const p = policy(trustPolicy);
      if ('ok' in p) return p;
      const key = `${ref}|${trustPolicy}@${p.version}`;
      const hit = verified.get(key);
      if (hit) return hit;
      let result: Verification;
      try {
        const parsed = parseReference(ref);
        const digest = requireDigest(parsed);
        const store = await openStore(parsed, deps.registry);
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
