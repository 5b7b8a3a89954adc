// The apiserver is real: kubectl (static token, generated CA) creates and lists a namespace, a CRD
// becomes Established and serves custom resources, and client-node reads them back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { execa } from 'execa';
import { toolPath } from '../../../devenv/tools/paths.ts';
import { applyYaml, createTestNamespace, harness, kubeConfig, kubectl, uniqueName, waitFor, waitForCrdsEstablished } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';

describe('kube-apiserver smoke', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('smoke-kube');
  });
  afterAll(() => ns.delete());

  it('kubectl creates and lists a namespace', async () => {
    const { kubeconfig } = harness().kube;
    const name = uniqueName('smoke-kubectl');
    await kubectl(kubeconfig, ['create', 'namespace', name]);
    const listed = JSON.parse(await kubectl(kubeconfig, ['get', 'namespaces', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
    expect(listed.items.map((n) => n.metadata.name)).toContain(name);
    await kubectl(kubeconfig, ['delete', 'namespace', name, '--wait=false']);
  });

  it('serves the RBAC-checked identity of the admin token', async () => {
    const out = await kubectl(harness().kube.kubeconfig, ['auth', 'whoami', '-o', 'json']);
    const who = JSON.parse(out) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(who.status.userInfo.username).toBe('flotilla-admin');
    expect(who.status.userInfo.groups).toContain('system:masters');
  });

  it('issues service-account tokens that RBAC denies until a Role grants access', async () => {
    const { kubeconfig, server, caFile } = harness().kube;
    await kubectl(kubeconfig, ['create', 'serviceaccount', 'reader', '-n', ns.name]);
    // Signed with the apiserver's service-account key, so this also proves the key pair and issuer.
    const token = (await kubectl(kubeconfig, ['create', 'token', 'reader', '-n', ns.name])).trim();
    // `auth can-i` answers on stdout and exits 1 for "no".
    const canI = async (): Promise<string> =>
      (await execa(toolPath('kubectl'), ['--kubeconfig=/dev/null', `--server=${server}`, `--certificate-authority=${caFile}`, `--token=${token}`, 'auth', 'can-i', 'list', 'configmaps', '-n', ns.name], { reject: false })).stdout.trim();
    expect(await canI()).toBe('no');
    await kubectl(kubeconfig, ['create', 'role', 'reader', '--verb=list', '--resource=configmaps', '-n', ns.name]);
    await kubectl(kubeconfig, ['create', 'rolebinding', 'reader', '--role=reader', `--serviceaccount=${ns.name}:reader`, '-n', ns.name]);
    await waitFor(async () => ((await canI()) === 'yes' ? true : undefined), { what: 'the Role to take effect', timeoutMs: 10_000 });
  });

  it('registers a CRD and serves its custom resources', async () => {
    const { kubeconfig } = harness().kube;
    const group = `${uniqueName('smoke')}.flotilla.test`;
    await applyYaml(
      kubeconfig,
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.${group} }
spec:
  group: ${group}
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: integer, minimum: 1 } } }
`,
    );
    await waitForCrdsEstablished(kubeConfig(), [`widgets.${group}`]);
    await applyYaml(kubeconfig, `apiVersion: ${group}/v1\nkind: Widget\nmetadata: { name: w1, namespace: ${ns.name} }\nspec: { size: 3 }\n`);

    const api = kubeConfig().makeApiClient(CustomObjectsApi);
    const got = (await api.getNamespacedCustomObject({ group, version: 'v1', namespace: ns.name, plural: 'widgets', name: 'w1' })) as { spec: { size: number } };
    expect(got.spec.size).toBe(3);
    // The schema is enforced by the server, so the CRD is really served, not just stored.
    await expect(applyYaml(kubeconfig, `apiVersion: ${group}/v1\nkind: Widget\nmetadata: { name: w2, namespace: ${ns.name} }\nspec: { size: 0 }\n`)).rejects.toThrow(/size/);
    await kubectl(kubeconfig, ['delete', `crd/widgets.${group}`, '--wait=false']);
  });
});
