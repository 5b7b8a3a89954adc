/**
 * Trust policy as data: the signing keys and keyless identities a cluster trusts, shipped to each
 * cluster as a ConfigMap the WasmRuntime pools reference by name. The policy itself is artifacts'
 * TrustPolicy (`{ keys: PEM[], identities: {issuer, subject|subjectRegExp}[] }`): artifacts/ owns
 * verification, so what synth accepts is exactly what the verifier compiles.
 */
import { TRUST_POLICY_KEY } from '../api/index.ts';
import { compilePolicy, type TrustPolicy } from '../artifacts/signing/policy.ts';

/** A trust policy under its name: that of the ConfigMap and of `WasmRuntime.spec.trustPolicyRef.name`. Empty lists trust nothing (deny by default). */
export interface NamedTrustPolicy extends TrustPolicy {
  readonly name: string;
}

/** The key in the ConfigMap's data that holds the policy JSON (the node contract's, one source). */
export { TRUST_POLICY_KEY };

/** The ConfigMap carrying a trust policy into a cluster; refuses at synth what verification would refuse on the nodes. */
export function trustPolicyConfigMap(policy: NamedTrustPolicy, namespace: string): Record<string, unknown> {
  const trusted: TrustPolicy = { keys: policy.keys, identities: policy.identities };
  try {
    compilePolicy(trusted);
  } catch (cause) {
    throw new Error(`${policy.name}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: policy.name, namespace, labels: { 'app.kubernetes.io/part-of': 'flotilla', 'flotilla.dev/trust-policy': 'true' } },
    data: { [TRUST_POLICY_KEY]: `${JSON.stringify(trusted, null, 2)}\n` },
  };
}
