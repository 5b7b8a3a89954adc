/**
 * How to address one kind on the API server. Written once per kind and passed around, so no code
 * builds URL paths by hand.
 */
export interface ResourceType {
  /** API group; '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Lower-case plural used in URL paths. */
  readonly plural: string;
  readonly namespaced: boolean;
}

/** The minimum every Kubernetes object carries. */
/** Core ConfigMaps (the operator's trust policies and node assignments, the node runtime's assignment watch). */
export const CONFIG_MAP_TYPE: ResourceType = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** The ObjectMeta fields the runtime reads or writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: { manager?: string; operation?: string; subresource?: string }[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** `group/version`, or just `version` for the core group. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** Where to find one object or a collection: the namespace (for namespaced kinds) and optionally a name and subresource. */
export interface PathParts {
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'scale';
}

/** The URL path for a collection, an object or one of its subresources. */
export function resourcePath(type: ResourceType, parts: PathParts = {}): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  if (parts.subresource !== undefined && parts.name === undefined) {
    throw new Error(`resourcePath: subresource ${parts.subresource} needs a name`);
  }
  const ns = type.namespaced && parts.namespace !== undefined ? `/namespaces/${encodeURIComponent(parts.namespace)}` : '';
  const name = parts.name === undefined ? '' : `/${encodeURIComponent(parts.name)}`;
  const sub = parts.subresource === undefined ? '' : `/${parts.subresource}`;
  return `${base}${ns}/${type.plural}${name}${sub}`;
}

/** The queue and cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata.name ?? '';
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${name}` : name;
}

/** An owner reference that makes `owner` the controller of a child, so deleting the owner garbage-collects it. */
export function controllerRef(type: ResourceType, owner: KubeObject): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!name || !uid) throw new Error(`controllerRef: owner ${type.kind} needs metadata.name and metadata.uid, got ${JSON.stringify({ name, uid })}`);
  return { apiVersion: apiVersionOf(type), kind: type.kind, name, uid, controller: true, blockOwnerDeletion: true };
}
