/**
 * Trust policy as data: the signing keys and keyless identities a cluster trusts. The shape is the
 * one artifacts/signing/policy.ts compiles (`{ keys: PEM[], identities: {issuer, subject|subjectRegExp}[] }`),
 * shipped to each cluster as a ConfigMap the WasmRuntime pools reference by name.
 */
import { TRUST_POLICY_KEY } from '../api/index.ts';

/** A keyless signer: the OIDC issuer and the certificate subject, exactly or as an anchored pattern. */
export interface TrustedIdentity {
  readonly issuer: string;
  readonly subject?: string;
  readonly subjectRegExp?: string;
}

/** What one cluster trusts. Empty lists trust nothing (deny by default). */
export interface TrustPolicy {
  /** Name of the ConfigMap and of `WasmRuntime.spec.trustPolicyRef.name`. */
  readonly name: string;
  /** ECDSA P-256 public keys (PEM) whose signatures are accepted. */
  readonly keys: readonly string[];
  readonly identities: readonly TrustedIdentity[];
}

/** The key in the ConfigMap's data that holds the policy JSON (the node contract's, one source). */
export { TRUST_POLICY_KEY };

/** The ConfigMap carrying a trust policy into a cluster. */
export function trustPolicyConfigMap(policy: TrustPolicy, namespace: string): Record<string, unknown> {
  for (const [i, id] of policy.identities.entries()) {
    if ((id.subject === undefined) === (id.subjectRegExp === undefined)) {
      throw new Error(`trust policy ${policy.name} identities[${i}]: expected exactly one of subject or subjectRegExp`);
    }
  }
  for (const [i, pem] of policy.keys.entries()) {
    if (!pem.includes('BEGIN PUBLIC KEY')) throw new Error(`trust policy ${policy.name} keys[${i}]: expected a PEM public key, got ${JSON.stringify(pem.slice(0, 30))}`);
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: policy.name, namespace, labels: { 'app.kubernetes.io/part-of': 'flotilla', 'flotilla.dev/trust-policy': 'true' } },
    data: { [TRUST_POLICY_KEY]: `${JSON.stringify({ keys: policy.keys, identities: policy.identities }, null, 2)}\n` },
  };
}
