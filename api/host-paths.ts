/**
 * Host paths a module may be given (WasmFunction `capabilities.volumes[].hostPath`) and the
 * ceiling a WasmRuntime sets on them (`spec.hostPaths.allowed`). One rule text for admission (CEL),
 * and one pure matcher the operator, the constructs and the node all apply, so the three layers
 * cannot disagree on what "under an allowed directory" means.
 */
import Type from 'typebox';
import { obj } from './fields.ts';
import type { CelRule } from './rules.ts';

/**
 * Never preopened, whatever an allow-list says: the node's process table (every process's
 * environment, its secrets included), kernel settings and devices. `/` is refused as well: it
 * contains them.
 */
export const NEVER_HOST_PATHS = ['/proc', '/sys', '/dev'] as const;

/** An absolute host path, at most this long. */
const MAX_PATH = 1024;

/**
 * The CEL rules on an object's host path field `field`: absolute (the schema's pattern), normalized,
 * not `/` and not under NEVER_HOST_PATHS. `where` is how a user finds the field (e.g.
 * `capabilities.volumes[].hostPath`).
 */
export function hostPathRules(field: string, where: string): CelRule[] {
  const p = `self.${field}`;
  const never = NEVER_HOST_PATHS.map((n) => `'${n}'`).join(', ');
  return [
    {
      rule: `!${p}.contains('//') && !${p}.split('/').exists(s, s == '..' || s == '.') && (${p} == '/' || !${p}.endsWith('/'))`,
      message: `${where} must be a normalized absolute path (no "." or ".." segments, no "//", no trailing "/"); write the directory's canonical path, e.g. /srv/data`,
      fieldPath: `.${field}`,
    },
    {
      rule: `${p} != '/' && ![${never}].exists(n, ${p} == n || ${p}.startsWith(n + '/'))`,
      message: `${where} must not be / or under ${NEVER_HOST_PATHS.join(', ')}: they expose the node itself (every process's environment and secrets, kernel settings, devices); use a directory made for the data, e.g. under /srv or /var/lib`,
      fieldPath: `.${field}`,
      reason: 'FieldValueForbidden',
    },
  ];
}

/** The schema of a host directory path (absolute; the object's hostPathRules do the rest). */
export function hostPathString(description: string) {
  return Type.String({ minLength: 1, maxLength: MAX_PATH, pattern: '^/', description });
}

export const AllowedHostPathSchema = obj(
  'A host directory functions of the pool may preopen, itself or anything below it.',
  {
    path: hostPathString('Absolute, normalized host directory; volumes at or below it (by whole path components) are allowed.'),
    readOnly: Type.Boolean({ default: true, description: 'Only read-only volumes below it (the default); false also allows read-write ones.' }),
  },
  { 'x-kubernetes-validations': hostPathRules('path', 'hostPaths.allowed[].path') },
);

export const HostPathsSchema = obj(
  'Ceiling on the host directories functions of this pool may preopen (capabilities.volumes): the operator refuses to place, and the nodes refuse to load, a function with a volume outside it.',
  {
    allowed: Type.Array(AllowedHostPathSchema, {
      maxItems: 32,
      default: [],
      description: `Directories volumes may be at or below. Empty (the default): no host paths at all. ${NEVER_HOST_PATHS.join(', ')} and / are never allowed, nor the node's own cache and state directories.`,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['path'],
    }),
  },
  { default: {} },
);

export type AllowedHostPath = Type.Static<typeof AllowedHostPathSchema>;
export type HostPaths = Type.Static<typeof HostPathsSchema>;

/** True when `path` is `root` or below it, by whole path components (`/srv/data2` is not under `/srv/data`). */
export function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/**
 * isUnder as CEL over two string expressions (e.g. `v.hostPath`, `a.path`), for the admission
 * policy (api/admission.ts): the same rule, so the API server, the operator and the node agree.
 */
export function isUnderCel(path: string, root: string): string {
  return `(${path} == ${root} || ${path}.startsWith(${root}.endsWith('/') ? ${root} : ${root} + '/'))`;
}

/**
 * Why a mount of `path` (read-only or not) is outside `allowed`, in "expected X, got Y" form naming
 * `field` (the allow-list as the reader finds it, e.g. `WasmRuntime edge/default spec.hostPaths.allowed`);
 * undefined when an entry admits it.
 */
export function hostPathRefusal(path: string, readOnly: boolean, allowed: readonly AllowedHostPath[], field: string): string | undefined {
  const covering = allowed.filter((a) => isUnder(path, a.path));
  if (covering.some((a) => readOnly || !a.readOnly)) return undefined;
  if (covering.length > 0) {
    return `expected a read-only volume (${field} has ${covering.map((a) => a.path).join(', ')} read-only), got readOnly: false for ${path}; set readOnly: true on the volume or readOnly: false on the allowed entry`;
  }
  const have = allowed.length === 0 ? 'empty: no host paths' : allowed.map((a) => a.path).join(', ');
  return `expected ${path} at or below an entry of ${field} (${have}), got none; add its directory there or use an allowed one`;
}
