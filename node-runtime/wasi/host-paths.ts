/**
 * The node's own check of the directories a function is granted, at configure time (defense in
 * depth: the API server and the operator check the declared paths, only the node sees what they
 * are on its disk). Each directory is resolved with realpath, so a symlink under an allowed
 * directory that points at /proc is judged as /proc. The resolved path must be at or below an entry
 * of the pool's allow-list (also resolved), outside `/proc`, `/sys`, `/dev` and `/`, and neither
 * inside nor around one of the node's own directories (module cache, state).
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostPathRefusal, isUnder, NEVER_HOST_PATHS } from '../../api/index.ts';
import type { AllowedHostPath } from '../../api/index.ts';
import { NodeRuntimeError } from '../errors.ts';
import type { Preopen } from './preopen-fs.ts';

/** A granted directory and how its grant names it, for the refusal (`volume data`, `--dir /srv/x`). */
export interface GrantedDir extends Preopen {
  readonly grantedAs: string;
}

/** The directories granted to one function and the ceiling they must stay within. */
export interface DirGrant {
  readonly dirs: readonly GrantedDir[];
  readonly allowed: readonly AllowedHostPath[];
  /** Where `allowed` is declared, e.g. `WasmRuntime edge/default spec.hostPaths.allowed`. */
  readonly allowedBy: string;
}

/** realpath, or the absolute path as given when it does not exist (yet). */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Why the node never hands out `path` (already resolved), or undefined. */
function neverAllowed(path: string, ownDirs: readonly string[]): string | undefined {
  if (path === '/') return 'expected a directory below /, got / itself (it holds the whole node)';
  const system = NEVER_HOST_PATHS.find((n) => isUnder(path, n));
  if (system !== undefined) return `expected a directory outside ${NEVER_HOST_PATHS.join(', ')}, got ${path} under ${system} (the node's processes, their environments and secrets, kernel settings or devices)`;
  const own = ownDirs.find((d) => isUnder(path, d) || isUnder(d, path));
  if (own !== undefined) return `expected a directory apart from the node's own ${own} (module cache or state), got ${path}`;
  return undefined;
}

/**
 * The preopens to hand the workers, their host paths resolved (what was checked is what is opened),
 * or a HostPathNotAllowed error naming the function, the directory, its path and the field.
 */
export function admitDirs(functionKey: string, grant: DirGrant, ownDirs: readonly string[]): Preopen[] {
  const own = ownDirs.map(real);
  const allowed = grant.allowed.map((a) => ({ ...a, path: real(a.path) }));
  return grant.dirs.map((d) => {
    let resolved: string;
    try {
      resolved = realpathSync(d.hostPath);
    } catch (err) {
      throw new NodeRuntimeError('HostPathNotAllowed', `function ${functionKey}: ${d.grantedAs}: hostPath ${d.hostPath}: expected an existing directory, got ${(err as NodeJS.ErrnoException).code ?? String(err)}; create it on the node`, { cause: err });
    }
    const shown = resolved === d.hostPath ? d.hostPath : `${d.hostPath} (resolves to ${resolved})`;
    const why = neverAllowed(resolved, own) ?? hostPathRefusal(resolved, d.readOnly, allowed, grant.allowedBy);
    if (why !== undefined) throw new NodeRuntimeError('HostPathNotAllowed', `function ${functionKey}: ${d.grantedAs}: hostPath ${shown} refused: ${why}`);
    return { guestPath: d.guestPath, hostPath: resolved, readOnly: d.readOnly };
  });
}
