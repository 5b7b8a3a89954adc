import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compilePolicy, publicKeyPem } from '../artifacts/index.ts';
import type { TrustPolicy } from '../artifacts/index.ts';
import { verifyModulesPolicy } from './kyverno.ts';
import { runtimeNetworkPolicies } from './network-policies.ts';
import { TRUST_POLICY_KEY, trustPolicyConfigMap } from './trust-policy.ts';
import type { NamedTrustPolicy } from './trust-policy.ts';

// A policy of the fleet's shape (one key, one release-workflow identity), built here: clusters/
// (whose FLEET_TRUST this mirrors) sits above policies/, so policies/ may not import it.
const TRUST: NamedTrustPolicy = {
  name: 'fleet-trust',
  keys: [publicKeyPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)],
  identities: [{ issuer: 'https://token.actions.githubusercontent.com', subjectRegExp: 'https://github\\.com/flotilla-dev/functions/\\.github/workflows/release\\.yaml@refs/tags/v.*' }],
};

describe('trust policy ConfigMap', () => {
  it('carries exactly what artifacts/ compiles into a verifier policy', () => {
    const cm = trustPolicyConfigMap(TRUST, 'flotilla-system') as { data: Record<string, string>; metadata: { name: string } };
    expect(cm.metadata.name).toBe('fleet-trust');
    const compiled = compilePolicy(JSON.parse(cm.data[TRUST_POLICY_KEY] as string) as TrustPolicy);
    expect(compiled.keys).toHaveLength(1);
    expect(compiled.identities[0]?.pattern?.test('https://github.com/flotilla-dev/functions/.github/workflows/release.yaml@refs/tags/v1.2.0')).toBe(true);
  });

  it('refuses an identity with both subject and pattern, and a key that is not PEM', () => {
    expect(() => trustPolicyConfigMap({ name: 't', keys: [], identities: [{ issuer: 'i', subject: 's', subjectRegExp: 's' }] }, 'ns')).toThrow('identities[0]: expected exactly one of subject or subjectRegExp');
    expect(() => trustPolicyConfigMap({ name: 't', keys: ['ssh-ed25519 AAAA'], identities: [] }, 'ns')).toThrow("keys[0]: expected a PEM 'PUBLIC KEY' block");
  });
});

describe('Kyverno verifyImages policy', () => {
  it('extracts spec.module.ref of WasmFunctions and lists every trusted key and identity', () => {
    const p = verifyModulesPolicy(TRUST) as { spec: { rules: { match: unknown; imageExtractors: unknown; verifyImages: { attestors: { entries: unknown[] }[] }[] }[] } };
    const [rule] = p.spec.rules;
    expect(rule?.match).toEqual({ any: [{ resources: { kinds: ['flotilla.dev/v1alpha1/WasmFunction'] } }] });
    expect(rule?.imageExtractors).toEqual({ WasmFunction: [{ name: 'module', path: '/spec/module', value: 'ref' }] });
    expect(rule?.verifyImages[0]?.attestors[0]?.entries).toHaveLength(TRUST.keys.length + TRUST.identities.length);
  });

  it('refuses a policy that trusts nothing (it would block every module)', () => {
    expect(() => verifyModulesPolicy({ name: 'empty', keys: [], identities: [] })).toThrow(/trusts no key and no identity/);
  });
});

describe('node runtime NetworkPolicies', () => {
  const policies = runtimeNetworkPolicies({
    namespace: 'flotilla-system',
    runtimeNamespace: 'functions',
    runtimeLabels: { app: 'rt' },
    operatorLabels: { app: 'op' },
    registry: { cidr: '10.0.0.10/32', ports: [5000] },
    apiServer: { cidr: '10.96.0.1/32', ports: [443] },
    functionEgress: [{ cidr: '10.1.0.0/24', ports: [6379] }],
    eventBrokers: [{ cidr: '10.2.0.5/32', ports: [4222] }],
    httpPort: 8080,
    adminPort: 9090,
  }) as { metadata: { name: string }; spec: { podSelector: unknown; policyTypes: string[]; egress?: { to: unknown[] }[] } }[];

  it('denies everything by default in the operator\'s and the runtimes\' namespaces', () => {
    for (const [i, namespace] of ['flotilla-system', 'functions'].entries()) {
      expect(policies[i]).toMatchObject({ metadata: { name: 'default-deny', namespace }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    }
  });

  it('confines the runtime pods where the operator runs them; in, the HTTP port (functions) and the admin port from the pool only (forwarding)', () => {
    const rt = policies.find((p) => p.metadata.name === 'node-runtime') as unknown as { metadata: { namespace: string }; spec: { ingress: unknown[] } };
    expect(rt.metadata.namespace).toBe('functions');
    expect(rt.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }, { from: [{ podSelector: { matchLabels: { app: 'rt' } } }], ports: [{ protocol: 'TCP', port: 9090 }] }]);
  });

  it('lets runtimes reach only DNS, the API server, the registry, the event brokers, declared hosts and each other on the admin port (forwarding)', () => {
    const rt = policies.find((p) => p.metadata.name === 'node-runtime');
    const targets = rt?.spec.egress?.map((e) => JSON.stringify(e.to));
    expect(targets).toEqual([
      JSON.stringify([{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]),
      JSON.stringify([{ ipBlock: { cidr: '10.96.0.1/32' } }]),
      JSON.stringify([{ ipBlock: { cidr: '10.0.0.10/32' } }]),
      JSON.stringify([{ ipBlock: { cidr: '10.2.0.5/32' } }]),
      JSON.stringify([{ ipBlock: { cidr: '10.1.0.0/24' } }]),
      JSON.stringify([{ podSelector: { matchLabels: { app: 'rt' } } }]),
    ]);
    // Other runtime pods, on the admin port only: nothing else of theirs is reachable.
    expect(rt?.spec.egress?.at(-1)).toEqual({ to: [{ podSelector: { matchLabels: { app: 'rt' } } }], ports: [{ protocol: 'TCP', port: 9090 }] });
  });

  it('lets the operator reach only DNS, the API server and the registry (nodes are reached through the API server)', () => {
    const op = policies.find((p) => p.metadata.name === 'operator');
    expect(op?.spec.egress?.map((e) => JSON.stringify(e.to))).toEqual([
      JSON.stringify([{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]),
      JSON.stringify([{ ipBlock: { cidr: '10.96.0.1/32' } }]),
      JSON.stringify([{ ipBlock: { cidr: '10.0.0.10/32' } }]),
    ]);
  });
});
