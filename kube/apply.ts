import type { KubeClient } from './kube-client.ts';
import { apiVersionOf, resourcePath } from './resource.ts';
import type { KubeObject, ResourceType } from './resource.ts';

/**
 * The one field manager every operator write uses. Server-side apply tracks field ownership per
 * manager; one constant name means a replica, a restart or a new version all own the same fields,
 * and a field we stop sending is removed instead of left behind.
 */
export const FIELD_MANAGER = 'flotilla-operator';

/**
 * Server-side applies `desired` (the full intent for the fields we own) and returns the object as
 * stored. `force` takes ownership from other managers: the operator is the authority for what it applies.
 */
export function apply<T extends KubeObject>(client: KubeClient, type: ResourceType, desired: T): Promise<T> {
  const { name, namespace } = desired.metadata;
  if (!name) throw new Error(`apply: ${type.kind} needs metadata.name`);
  return client.request<T>({
    method: 'PATCH',
    path: resourcePath(type, { namespace, name }),
    query: { fieldManager: FIELD_MANAGER, force: true },
    body: { ...desired, apiVersion: apiVersionOf(type), kind: type.kind },
    contentType: 'application/apply-patch+yaml',
  });
}

/**
 * Server-side applies `status` through the status subresource, so a status write can never change
 * spec, and spec writers (Argo CD) never touch status. Only the fields in `status` are owned: a
 * condition we stop reporting disappears.
 */
export function applyStatus<T extends KubeObject, S>(
  client: KubeClient,
  type: ResourceType,
  obj: Pick<T, 'metadata'>,
  status: S,
): Promise<T> {
  const { name, namespace } = obj.metadata;
  if (!name) throw new Error(`applyStatus: ${type.kind} needs metadata.name`);
  return client.request<T>({
    method: 'PATCH',
    path: resourcePath(type, { namespace, name, subresource: 'status' }),
    query: { fieldManager: FIELD_MANAGER, force: true },
    body: { apiVersion: apiVersionOf(type), kind: type.kind, metadata: { name, namespace }, status },
    contentType: 'application/apply-patch+yaml',
  });
}

/** Deletes an object; a missing object counts as deleted. */
export async function deleteIfExists(client: KubeClient, type: ResourceType, namespace: string | undefined, name: string): Promise<void> {
  try {
    await client.request({ method: 'DELETE', path: resourcePath(type, { namespace, name }), body: { propagationPolicy: 'Background' } });
  } catch (err) {
    if ((err as { code?: string }).code !== 'NotFound') throw err;
  }
}
