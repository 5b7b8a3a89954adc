import type { CustomResourceDefinition } from '../../../api/index.ts';
import { apply, KubeApiError } from '../../../operator/runtime/index.ts';
import type { KubeClient, KubeObject, ResourceType } from '../../../operator/runtime/index.ts';
import { waitFor } from '../../harness/index.ts';

const CRD_TYPE: ResourceType = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false };

type Schema = { type?: string; default?: unknown; properties?: Record<string, Schema>; items?: Schema; required?: string[] };

/**
 * Fills an object default of `{}` with its properties' own defaults. The apiserver validates a
 * default as given (it does not apply nested defaults to it), so `engine: { default: {} }` with
 * required `kind` is rejected. TEMPORARY: api/crd.ts emits such defaults today; this keeps the
 * operator tests independent of that fix and goes away with it.
 */
function materializeDefaults(schema: Schema): Schema {
  const properties = schema.properties && Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, materializeDefaults(v)]));
  const out: Schema = { ...schema, ...(properties ? { properties } : {}), ...(schema.items ? { items: materializeDefaults(schema.items) } : {}) };
  if (properties && out.default !== null && typeof out.default === 'object' && !Array.isArray(out.default)) {
    const filled: Record<string, unknown> = { ...(out.default as Record<string, unknown>) };
    for (const [k, v] of Object.entries(properties)) if (filled[k] === undefined && v.default !== undefined) filled[k] = v.default;
    out.default = filled;
  }
  return out;
}

function installable(crd: CustomResourceDefinition): KubeObject {
  const c = structuredClone(crd) as unknown as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } } & KubeObject;
  for (const v of c.spec.versions) v.schema.openAPIV3Schema = materializeDefaults(v.schema.openAPIV3Schema);
  return c;
}

/** Applies CRDs (cluster-scoped, shared by the run: apply is idempotent) and waits until they are Established. */
export async function installCrds(api: KubeClient, crds: readonly CustomResourceDefinition[]): Promise<void> {
  for (const crd of crds) {
    const stored = await apply(api, CRD_TYPE, installable(crd));
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
