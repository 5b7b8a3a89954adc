import { describe, expect, it } from 'vitest';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { KINDS, NODE_PEER_CALLS, OPERATOR_CALLS, STATUS_CALLS, ceilingsPolicy, ceilingsPolicyBinding, nodeLeasePolicy, nodeLeasePolicyBinding, nodeTrustPolicyCalls, rulesFor } from '../api/index.ts';
import { EdgeCluster } from './edge-cluster.ts';
import { WasmFunction } from './wasm-function.ts';
import { CLUSTER_PROPS } from './testing.ts';
import { renderApp } from './render.ts';

function render(props = CLUSTER_PROPS) {
  const app = Testing.app();
  new EdgeCluster(app, props.name, props);
  return renderApp(app);
}

describe('EdgeCluster', () => {
  it('renders namespaces, CRDs, system, trust policy, network policies and pools into clusters/<name>/', () => {
    const files = render();
    expect(files.map((f) => f.path)).toMatchSnapshot();
    expect(files.every((f) => f.path.startsWith('clusters/test-edge/'))).toBe(true);
    for (const k of KINDS) expect(files.map((f) => f.path)).toContain(`clusters/test-edge/customresourcedefinition_cluster_${k.plural}.flotilla.dev.yaml`);
  });

  it('renders RBAC from the declared calls of api/rbac.ts and nothing else, and the node Lease policy', () => {
    const files = render();
    const get = (name: string) => parse(files.find((f) => f.path.endsWith(name))?.content ?? '') as { rules?: unknown; spec?: unknown };
    expect(get('clusterrole_cluster_flotilla-operator.yaml').rules).toEqual(rulesFor(OPERATOR_CALLS));
    expect(get('clusterrole_cluster_flotilla-status.yaml').rules).toEqual(rulesFor(STATUS_CALLS));
    expect(get('role_flotilla-system_flotilla-node-trust-policy.yaml').rules).toEqual(rulesFor(nodeTrustPolicyCalls('trust')));
    expect(get('validatingadmissionpolicy_cluster_flotilla-node-own-lease.yaml').spec).toEqual(nodeLeasePolicy().spec);
    expect(get('validatingadmissionpolicybinding_cluster_flotilla-node-own-lease.yaml').spec).toEqual(nodeLeasePolicyBinding().spec);
    expect(get('clusterrole_cluster_flotilla-node-peer.yaml').rules).toEqual(rulesFor(NODE_PEER_CALLS));
    expect(files.filter((f) => /^clusters\/test-edge\/(cluster)?role_/.test(f.path)).map((f) => f.path)).toHaveLength(4);
  });

  it('puts sync waves so namespaces and CRDs come before our objects', () => {
    const wave = (name: string) => Number(/sync-wave: "(-?\d+)"/.exec(render().find((f) => f.path.endsWith(name))?.content ?? '')?.[1]);
    expect(wave('namespace_cluster_functions.yaml')).toBeLessThan(wave('customresourcedefinition_cluster_wasmfunctions.flotilla.dev.yaml'));
    expect(wave('customresourcedefinition_cluster_wasmruntimes.flotilla.dev.yaml')).toBeLessThan(wave('wasmruntime_functions_default.yaml'));
  });

  it('renders the admission ceilings policy and binding of api/admission.ts, after the CRDs and before the pools', () => {
    const files = render();
    const get = (name: string) => files.find((f) => f.path.endsWith(name))?.content ?? '';
    const policy = parse(get('validatingadmissionpolicy_cluster_flotilla-wasmruntime-ceilings.yaml')) as { spec: unknown; metadata: Record<string, unknown> };
    const binding = parse(get('validatingadmissionpolicybinding_cluster_flotilla-wasmruntime-ceilings.yaml')) as { spec: unknown; metadata: Record<string, unknown> };
    expect(policy.spec).toEqual(ceilingsPolicy().spec);
    expect(binding.spec).toEqual(ceilingsPolicyBinding().spec);
    expect(policy.metadata.namespace).toBeUndefined();
    const wave = (name: string) => Number(/sync-wave: "(-?\d+)"/.exec(get(name))?.[1]);
    expect(wave('customresourcedefinition_cluster_wasmruntimes.flotilla.dev.yaml')).toBeLessThan(wave('validatingadmissionpolicy_cluster_flotilla-wasmruntime-ceilings.yaml'));
    expect(wave('validatingadmissionpolicybinding_cluster_flotilla-wasmruntime-ceilings.yaml')).toBeLessThan(wave('wasmruntime_functions_default.yaml'));
  });

  it('keeps namespaces off cluster-scoped objects', () => {
    const crd = render().find((f) => f.path.includes('customresourcedefinition'))?.content ?? '';
    expect(crd).not.toMatch(/^ {2}namespace:/m);
  });

  it('renders the Kyverno policy only when asked', () => {
    expect(render().some((f) => f.path.includes('clusterpolicy'))).toBe(false);
    expect(render({ ...CLUSTER_PROPS, kyverno: true }).some((f) => f.path.includes('clusterpolicy_cluster_flotilla-verify-modules'))).toBe(true);
  });

  it('tells the operator which node runtime image each version runs, by digest, and to run nothing else', () => {
    const op = render().find((f) => f.path.endsWith('deployment_flotilla-system_flotilla-operator.yaml'))?.content ?? '';
    expect(op).toMatch(new RegExp(`- --node-image-pin\\n\\s+- 0\\.1\\.0=${(CLUSTER_PROPS.images.nodeRuntime['0.1.0'] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    expect(op).toContain('- --require-pinned-node-images');
  });

  it('refuses a WasmRuntime whose version has no pinned node runtime image', () => {
    expect(() => render({ ...CLUSTER_PROPS, runtimes: { default: { ...CLUSTER_PROPS.runtimes['default']!, version: '0.9.0' } } })).toThrow(/WasmRuntime default runs version 0\.9\.0, but no node runtime image is pinned for it \(pinned: 0\.1\.0\)/);
  });

  it('refuses images not pinned by digest, naming the prop', () => {
    expect(() => render({ ...CLUSTER_PROPS, images: { operator: 'r.example/op:latest', nodeRuntime: CLUSTER_PROPS.images.nodeRuntime } })).toThrow(
      'FlotillaSystem operatorImage: expected an image pinned by @sha256:<64 hex>, got "r.example/op:latest"',
    );
  });

  it('is byte-for-byte reproducible', () => {
    expect(render()).toEqual(render());
  });

  describe('NATS for the node runtimes', () => {
    const NATS_IMAGE = `r.example:5000/flotilla/nats@sha256:${'ef'.repeat(32)}`;
    const REF = `r.example:5000/fn/x@sha256:${'ab'.repeat(32)}`;
    const file = (files: ReturnType<typeof render>, suffix: string) => files.find((f) => f.path.endsWith(suffix))?.content ?? '';

    it('"install" renders one server with its Service and policy, and every pool gets its URL', () => {
      const files = render({ ...CLUSTER_PROPS, images: { ...CLUSTER_PROPS.images, nats: NATS_IMAGE }, nats: 'install' });
      const sts = file(files, 'statefulset_flotilla-system_flotilla-nats.yaml');
      expect(sts).toContain(`image: ${NATS_IMAGE}`);
      expect(sts).toMatch(/- --jetstream/);
      expect(file(files, 'service_flotilla-system_flotilla-nats.yaml')).toMatch(/port: 4222/);
      expect(file(files, 'wasmruntime_functions_default.yaml')).toContain('url: nats://flotilla-nats.flotilla-system.svc:4222');
      // Node runtimes may reach it; it answers nobody else.
      expect(file(files, 'networkpolicy_functions_node-runtime.yaml')).toMatch(/port: 4222[\s\S]*app.kubernetes.io\/name: flotilla-nats/);
      expect(file(files, 'networkpolicy_flotilla-system_nats.yaml')).toMatch(/ingress:\n\s+- from:\n\s+- namespaceSelector:\n\s+matchLabels:\n\s+kubernetes.io\/metadata.name: functions/);
    });

    it('{ url } uses an existing server and installs nothing; a runtime\'s own nats wins', () => {
      const files = render({ ...CLUSTER_PROPS, nats: { url: 'nats://nats.site.example:4222' }, runtimes: { default: CLUSTER_PROPS.runtimes['default']!, own: { version: '0.1.0', nats: { url: 'nats://own.example:4222' } } } });
      expect(files.some((f) => f.path.includes('flotilla-nats'))).toBe(false);
      expect(file(files, 'wasmruntime_functions_default.yaml')).toContain('url: nats://nats.site.example:4222');
      expect(file(files, 'wasmruntime_functions_own.yaml')).toContain('url: nats://own.example:4222');
    });

    it('refuses "install" without a pinned image, and shared NATS state in a pool without NATS', () => {
      expect(() => render({ ...CLUSTER_PROPS, nats: 'install' })).toThrow(/nats: "install" needs images.nats/);
      const app = Testing.app();
      const cluster = new EdgeCluster(app, CLUSTER_PROPS.name, CLUSTER_PROPS);
      new WasmFunction(cluster, 'stateful', { module: REF, state: { store: 'nats' } });
      expect(() => renderApp(app)).toThrow(/WasmFunction stateful keeps its state in NATS \(state.store: nats\), but its WasmRuntime default has no NATS/);
    });
  });
});
