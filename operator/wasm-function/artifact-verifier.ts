import { openStore, parseReference, requireDigest, verifySignatures } from '../../artifacts/index.ts';
import type { StoreOptions, TrustPolicy } from '../../artifacts/index.ts';
import { CONFIG_MAP_TYPE } from '../kinds.ts';
import type { ConfigMap } from '../nodes/assignment.ts';
import type { KubeClient } from '../runtime/index.ts';
import { resourcePath } from '../runtime/index.ts';
import { failureFor } from './verification.ts';
import type { ModuleVerifier, Verification } from './verification.ts';

/** The data key of a trust policy ConfigMap (written by policies/trust-policy.ts, which the operator may not import). */
const TRUST_POLICY_KEY = 'policy.json';

/**
 * The operator's verifier: reads the trust policy ConfigMap from the operator namespace, then
 * checks the module's signatures in its registry with artifacts/ (the same code the node runtime
 * runs before executing). Every failure becomes a Verification with its precise reason.
 */
export function artifactVerifier(deps: { client: KubeClient; namespace: string; registry?: StoreOptions }): ModuleVerifier {
  async function policy(name: string): Promise<TrustPolicy | Verification> {
    let cm: ConfigMap;
    try {
      cm = await deps.client.request<ConfigMap>({ method: 'GET', path: resourcePath(CONFIG_MAP_TYPE, { namespace: deps.namespace, name }) });
    } catch (err) {
      if ((err as { code?: string }).code !== 'NotFound') throw err;
      return { ok: false, condition: 'SignatureVerified', reason: 'TrustPolicyNotFound', message: `trust policy ConfigMap ${deps.namespace}/${name} not found: create it (policies/) or fix the WasmRuntime's spec.trustPolicyRef` };
    }
    const text = cm.data?.[TRUST_POLICY_KEY];
    try {
      if (text === undefined) throw new Error(`no data key ${TRUST_POLICY_KEY}`);
      return JSON.parse(text) as TrustPolicy;
    } catch (err) {
      return { ok: false, condition: 'SignatureVerified', reason: 'TrustPolicyNotFound', message: `trust policy ConfigMap ${deps.namespace}/${name} is unreadable: ${(err as Error).message}; expected JSON { keys, identities } under ${TRUST_POLICY_KEY}` };
    }
  }

  return {
    async verify(ref, trustPolicy) {
      const p = await policy(trustPolicy);
      if ('ok' in p) return p;
      try {
        const parsed = parseReference(ref);
        const digest = requireDigest(parsed);
        const store = await openStore(parsed, deps.registry);
        const result = await verifySignatures(store, digest, p);
        return { ok: true, digest: result.digest };
      } catch (err) {
        return failureFor(err);
      }
    },
  };
}
