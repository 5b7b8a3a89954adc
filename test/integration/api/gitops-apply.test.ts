// The rendered GitOps tree against the real kube-apiserver: CRDs are admitted (structural schema,
// CEL cost budget), every manifest of every cluster passes server-side apply, and kubectl shows our
// printer columns, explain text and scale subresource.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { API_VERSION } from '../../../api/index.ts';
import { MODULE_REF } from '../../../api/testdata/bad-inputs.ts';
import { listFiles } from '../../../constructs/index.ts';
import { CLUSTERS } from '../../../clusters/fleet.ts';
import { createTestNamespace, harness, kubectl, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';

const GITOPS = fileURLToPath(new URL('../../../gitops/', import.meta.url));
const MANAGER = 'flotilla-gitops-test';

// Kyverno is not part of the harness; this stand-in CRD only lets the API server store our
// ClusterPolicy (it proves the object is well-formed YAML for its group, not Kyverno's semantics).
const KYVERNO_STAND_IN = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'clusterpolicies.kyverno.io' },
  spec: {
    group: 'kyverno.io',
    scope: 'Cluster',
    names: { kind: 'ClusterPolicy', plural: 'clusterpolicies', singular: 'clusterpolicy', listKind: 'ClusterPolicyList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

const kc = () => harness().kube.kubeconfig;
const k = (args: readonly string[], input?: string) => kubectl(kc(), args, input);

async function clusterFiles(cluster: string): Promise<{ file: string; text: string }[]> {
  const dir = join(GITOPS, 'clusters', cluster);
  return Promise.all((await listFiles(dir)).map(async (file) => ({ file, text: await readFile(join(dir, file), 'utf8') })));
}

let ns: TestNamespace;

beforeAll(async () => {
  const [first] = CLUSTERS;
  const crds = (await clusterFiles(first?.name ?? '')).filter((f) => f.file.startsWith('customresourcedefinition_'));
  expect(crds.length).toBe(4);
  // CRDs are cluster-wide and identical across clusters: apply them for real (idempotent).
  await k(['apply', '--server-side', '--force-conflicts', `--field-manager=${MANAGER}`, '-f', '-'], [...crds.map((c) => c.text), stringify(KYVERNO_STAND_IN)].join('---\n'));
  await k(['wait', '--for=condition=Established', '--timeout=60s', 'crd/wasmfunctions.flotilla.dev', 'crd/wasmruntimes.flotilla.dev', 'crd/functiontriggers.flotilla.dev', 'crd/functionroutes.flotilla.dev', 'crd/clusterpolicies.kyverno.io']);
  await waitFor(async () => ((await k(['api-resources', '--api-group=flotilla.dev', '-o', 'name'])).includes('wasmfunctions') ? true : undefined), { what: 'flotilla.dev served', timeoutMs: 30_000 });
  ns = await createTestNamespace('api-gitops');
});

afterAll(async () => {
  await ns?.delete();
});

describe.each(CLUSTERS.map((c) => [c.name]))('gitops/clusters/%s', (cluster) => {
  it('every manifest passes server-side apply (namespaces for real, the rest as a server dry run)', async () => {
    const files = await clusterFiles(cluster);
    const namespaces = files.filter((f) => f.file.startsWith('namespace_'));
    // Namespaces must exist for the namespaced dry runs; they are empty and shared with nothing.
    await k(['apply', '--server-side', '--force-conflicts', `--field-manager=${MANAGER}`, '-f', '-'], namespaces.map((f) => f.text).join('---\n'));
    const rest = files.filter((f) => !f.file.startsWith('namespace_'));
    const failures: string[] = [];
    for (const f of rest) {
      try {
        await k(['apply', '--server-side', '--force-conflicts', '--dry-run=server', `--field-manager=${MANAGER}`, '-f', '-'], f.text);
      } catch (err) {
        failures.push(`${f.file}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(rest.length).toBeGreaterThan(20);
  });
});

describe('kubectl presentation', () => {
  const digest = MODULE_REF.split('@')[1] as string;

  beforeAll(async () => {
    const fn = { apiVersion: API_VERSION, kind: 'WasmFunction', metadata: { name: 'shown', namespace: ns.name }, spec: { module: { ref: MODULE_REF } } };
    await k(['apply', '--server-side', `--field-manager=${MANAGER}`, '-f', '-'], JSON.stringify(fn));
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = {
      status: {
        observedGeneration: 1,
        readyInstances: 2,
        desiredInstances: 3,
        resolvedDigest: digest,
        selector: 'flotilla.dev/function=shown',
        conditions: [
          { type: 'Ready', status: 'True', reason: 'AllInstancesReady', message: '2 instances ready', lastTransitionTime: now, observedGeneration: 1 },
          { type: 'SignatureVerified', status: 'True', reason: 'Verified', message: 'signed by fleet key', lastTransitionTime: now, observedGeneration: 1 },
        ],
      },
    };
    await k(['patch', '-n', ns.name, 'wasmfunction/shown', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  });

  it('kubectl get wasmfunctions shows READY, INSTANCES, DESIRED, VERIFIED and AGE; -o wide adds RUNTIME and DIGEST', async () => {
    const out = await k(['get', 'wasmfunctions', '-n', ns.name]);
    const [header = '', row = ''] = out.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'READY', 'INSTANCES', 'DESIRED', 'VERIFIED', 'AGE']);
    expect(row.split(/\s+/).slice(0, 5)).toEqual(['shown', 'True', '2', '3', 'True']);
    const wide = await k(['get', 'wfn', '-n', ns.name, '-o', 'wide']);
    expect(wide.split('\n')[0]?.split(/\s+/)).toEqual(['NAME', 'READY', 'INSTANCES', 'DESIRED', 'VERIFIED', 'RUNTIME', 'DIGEST', 'AGE']);
    expect(wide).toContain(digest);
    expect(await k(['get', 'flotilla', '-n', ns.name, '-o', 'name'])).toContain('wasmfunction.flotilla.dev/shown');
  });

  it('kubectl explain describes the fields from the schema descriptions', async () => {
    const out = await waitFor(
      async () => {
        try {
          return await k(['explain', 'wasmfunction.spec']);
        } catch {
          return undefined; // the OpenAPI of a new CRD is published a moment after it is established
        }
      },
      { what: 'kubectl explain wasmfunction.spec', timeoutMs: 30_000 },
    );
    expect(out).toContain('Desired state of a WasmFunction.');
    expect(out).toMatch(/module\s+<Object> -required-/);
    expect(out).toContain('Name of the WasmRuntime pool that runs this function.');
    expect(await k(['explain', 'wasmfunction.spec.module.ref'])).toContain('OCI reference pinned by digest');
  });

  it('kubectl scale sets scaling.minInstances through the scale subresource, and CEL guards it', async () => {
    await k(['scale', '-n', ns.name, 'wasmfunction/shown', '--replicas=3']);
    expect(await k(['get', '-n', ns.name, 'wasmfunction/shown', '-o', 'jsonpath={.spec.scaling.minInstances}'])).toBe('3');
    const scale = JSON.parse(await k(['get', '--raw', `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmfunctions/shown/scale`])) as { status: { replicas: number; selector: string } };
    expect(scale.status).toEqual({ replicas: 2, selector: 'flotilla.dev/function=shown' });
    await expect(k(['scale', '-n', ns.name, 'wasmfunction/shown', '--replicas=0'])).rejects.toThrow(/scaleToZero/);
  });
});
