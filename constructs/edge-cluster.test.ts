import { describe, expect, it } from 'vitest';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { KINDS, ceilingsPolicy, ceilingsPolicyBinding } from '../api/index.ts';
import { EdgeCluster } from './edge-cluster.ts';
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
});
