/** Reading one Secret by name: what a component granted `get` on exactly that Secret can do. */
import { KubeApiError } from './errors.ts';
import type { KubeClient } from './kube-client.ts';
import { resourcePath } from './resource.ts';
import type { KubeObject, ResourceType } from './resource.ts';

export const SECRET_TYPE: ResourceType = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };

/** A Secret as the API server returns it: `data` values are base64. */
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** The Secret `namespace/name`, or undefined when it does not exist. */
export async function getSecret(client: KubeClient, namespace: string, name: string): Promise<Secret | undefined> {
  try {
    return await client.request<Secret>({ method: 'GET', path: resourcePath(SECRET_TYPE, { namespace, name }) });
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 'NotFound') return undefined;
    throw err;
  }
}
