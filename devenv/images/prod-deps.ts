/**
 * The production dependencies an image needs, read from package-lock.json: the packages the app's
 * files import, and everything they depend on, resolved the way Node resolves them (a package's own
 * nested node_modules first, then each parent's). Dev-only entries never qualify, and the lockfile
 * (not whatever happens to sit in node_modules) decides which directories exist.
 */
import { isBuiltin } from 'node:module';
import { ImageBuildError } from './errors.ts';

/** The part of a package-lock.json (lockfileVersion 2 or 3) that the walk reads. */
export interface PackageLock {
  readonly lockfileVersion: number;
  readonly packages: Readonly<Record<string, LockEntry>>;
}

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
}

/** The platform the image runs on, for the lock's `os`/`cpu` fields of optional packages. */
const PLATFORM = { os: 'linux', cpu: 'x64' } as const;

/**
 * Lock paths (`node_modules/a`, `node_modules/a/node_modules/b`) of the packages `imported` (bare
 * names the app imports) need, sorted. Throws when an import or a required dependency has no entry.
 */
export function productionPackages(lock: PackageLock, imported: readonly string[]): string[] {
  if (lock.lockfileVersion < 2) throw new ImageBuildError('PinMismatch', `package-lock.json lockfileVersion: expected 2 or 3 (npm 7+), got ${lock.lockfileVersion}`);
  const found = new Set<string>();
  const queue: string[] = [];
  const visit = (from: string, name: string, required: boolean, why: string): void => {
    const path = resolveFrom(lock, from, name);
    if (path === undefined) {
      if (required) throw new ImageBuildError('InputMissing', `${why}: expected ${name} in package-lock.json (resolved from ${from || 'the root'}), got none; run npm install and commit the lockfile`);
      return;
    }
    const entry = lock.packages[path]!;
    if (entry.dev === true) throw new ImageBuildError('PinMismatch', `${why}: ${name} (${path}) is a dev dependency in package-lock.json; expected a production one: move it to "dependencies"`);
    if (!found.has(path)) {
      found.add(path);
      queue.push(path);
    }
  };
  for (const name of imported) visit('', name, true, 'imported by the app');
  while (queue.length > 0) {
    const path = queue.shift()!;
    const entry = lock.packages[path]!;
    for (const name of Object.keys(entry.dependencies ?? {})) visit(path, name, true, path);
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      const dep = resolveFrom(lock, path, name);
      if (dep !== undefined && runsHere(lock.packages[dep]!)) visit(path, name, false, path);
    }
    for (const name of Object.keys(entry.peerDependencies ?? {})) visit(path, name, entry.peerDependenciesMeta?.[name]?.optional !== true, `${path} (peer)`);
  }
  return [...found].sort();
}

/** The lock path Node would load `name` from, starting at the package at `from` ('' for the root). */
export function resolveFrom(lock: PackageLock, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = parentPackage(dir)) {
    const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    if (dir === '') return undefined;
  }
}

/** `node_modules/a/node_modules/b` → `node_modules/a`; `node_modules/a` → ''. */
function parentPackage(path: string): string {
  const at = path.lastIndexOf('/node_modules/');
  return at < 0 ? '' : path.slice(0, at);
}

function runsHere(entry: LockEntry): boolean {
  const allows = (list: readonly string[] | undefined, value: string) =>
    list === undefined || (list.some((v) => !v.startsWith('!')) ? list.includes(value) : !list.includes(`!${value}`));
  return allows(entry.os, PLATFORM.os) && allows(entry.cpu, PLATFORM.cpu);
}

/** The npm package a bare import specifier names (`@scope/pkg/sub` → `@scope/pkg`), or undefined for a relative path or a Node builtin. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}
