import type { CustomResourceDefinition } from '../../../api/index.ts';
import { apply, KubeApiError } from '../../../kube/index.ts';
import type { KubeClient, KubeObject, ResourceType } from '../../../kube/index.ts';
import { waitFor } from '../../harness/index.ts';

const CRD_TYPE: ResourceType = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false };

/** Applies CRDs (cluster-scoped, shared by the run: apply is idempotent) and waits until they are Established. */
export async function installCrds(api: KubeClient, crds: readonly CustomResourceDefinition[]): Promise<void> {
  for (const crd of crds) {
    const stored = await apply(api, CRD_TYPE, crd as unknown as KubeObject);
    await waitFor(
      async () => {
        const got = await api.request<{ status?: { conditions?: { type: string; status: string }[] } }>({ method: 'GET', path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${stored.metadata.name}` });
        return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      { what: `CRD ${stored.metadata.name} Established`, timeoutMs: 30_000 },
    );
  }
  // The discovery cache of the apiserver needs a moment before the new resources serve.
  const [first] = crds;
  if (!first) return;
  await waitFor(
    async () => {
      const spec = (first as unknown as { spec: { group: string; versions: { name: string }[]; names: { plural: string } } }).spec;
      try {
        await api.request({ method: 'GET', path: `/apis/${spec.group}/${spec.versions[0]?.name}/${spec.names.plural}` });
        return true;
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 'NotFound') return undefined;
        throw err;
      }
    },
    { what: 'CRD resources to be served', timeoutMs: 30_000 },
  );
}
