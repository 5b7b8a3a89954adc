/**
 * A Kyverno ClusterPolicy that refuses WasmFunctions whose module is not signed by the cluster's
 * trust policy, for clusters that run Kyverno: admission then fails before the operator sees the
 * object. `imageExtractors` teach Kyverno where our kind keeps its image reference.
 */
import { API_VERSION } from '../api/index.ts';
import type { NamedTrustPolicy } from './trust-policy.ts';

/** Rekor/Fulcio endpoints used for keyless verification. */
export interface KeylessEndpoints {
  /** Rekor URL; when unset, transparency log lookups are skipped (offline edge clusters). */
  readonly rekorUrl?: string;
}

/** The ClusterPolicy verifying `spec.module.ref` of every WasmFunction. */
export function verifyModulesPolicy(policy: NamedTrustPolicy, endpoints: KeylessEndpoints = {}): Record<string, unknown> {
  const rekor = endpoints.rekorUrl === undefined ? { ignoreTlog: true, url: '' } : { url: endpoints.rekorUrl };
  const entries = [
    ...policy.keys.map((pem) => ({ keys: { publicKeys: pem, rekor: { ignoreTlog: true, url: '' }, ctlog: { ignoreSCT: true } } })),
    ...policy.identities.map((id) => ({
      keyless: { issuer: id.issuer, ...(id.subject !== undefined ? { subject: id.subject } : { subjectRegExp: id.subjectRegExp }), rekor },
    })),
  ];
  if (entries.length === 0) throw new Error(`trust policy ${policy.name} trusts no key and no identity; Kyverno would refuse every module`);
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: {
      name: 'flotilla-verify-modules',
      labels: { 'app.kubernetes.io/part-of': 'flotilla' },
      annotations: { 'policies.kyverno.io/description': 'WasmFunction modules must be pinned by digest and signed by a key or identity of the cluster trust policy.' },
    },
    spec: {
      validationFailureAction: 'Enforce',
      background: false,
      webhookTimeoutSeconds: 30,
      rules: [
        {
          name: 'verify-module-signature',
          match: { any: [{ resources: { kinds: [`${API_VERSION}/WasmFunction`] } }] },
          imageExtractors: { WasmFunction: [{ name: 'module', path: '/spec/module', value: 'ref' }] },
          verifyImages: [
            {
              imageReferences: ['*'],
              type: 'Cosign',
              mutateDigest: false,
              verifyDigest: true,
              required: true,
              attestors: [{ count: 1, entries }],
            },
          ],
        },
      ],
    },
  };
}
