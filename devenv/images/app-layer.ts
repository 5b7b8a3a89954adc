/**
 * The app layer: the product folders an image's command runs from (their git-tracked files, tests
 * and test helpers left out), a package.json with what Node reads of it, and the production packages
 * those folders import, under /app.
 */
import { execFileSync } from 'node:child_process';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { toolPath } from '../tools/paths.ts';
import { ImageBuildError } from './errors.ts';
import type { PackageLock } from './prod-deps.ts';
import { packageOf, productionPackages } from './prod-deps.ts';
import type { LayerEntry } from './tar-layer.ts';

/** Where the app lives in the image (the WorkingDir). */
export const APP_DIR = 'app';

/** What a test or a test helper is: not shipped. */
const NOT_SHIPPED = /(?:\.test\.ts$|(?:^|\/)testing\/)/;
/** Type declarations and source maps of packages: never loaded at run time (about a third of @kubernetes/client-node). */
const NOT_RUNTIME = /(?:\.d\.[cm]?ts|\.map)$/;

/** The app layer's entries and the lock paths of the packages it carries. */
export interface AppLayer {
  readonly entries: LayerEntry[];
  readonly packages: readonly string[];
}

/** Collects the app layer of an image running from `rooms` (top-level folders) of the checkout at `repoRoot`. */
export async function appLayer(repoRoot: string, rooms: readonly string[]): Promise<AppLayer> {
  const sources = trackedFiles(repoRoot, rooms);
  const imported = new Set<string>();
  for (const file of sources) {
    if (!file.endsWith('.ts')) continue;
    const { importedFiles } = ts.preProcessFile(await readFile(join(repoRoot, file), 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      const name = packageOf(fileName);
      if (name !== undefined) imported.add(name);
    }
  }
  const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as PackageLock;
  const packages = productionPackages(lock, [...imported].sort());
  const entries: LayerEntry[] = [...sources.map((file) => sourceFile(repoRoot, file)), await runtimePackageJson(repoRoot)];
  for (const path of packages) entries.push(...(await packageEntries(repoRoot, path, lock.packages[path]?.version)));
  return { entries: await Promise.all(entries.map(async (e) => (e.kind === 'file' && 'file' in e.content ? { ...e, mode: await fileMode(e.content.file) } : e))), packages };
}

/** The git-tracked files of `rooms`, minus tests: what a fresh checkout of the commit holds. */
function trackedFiles(repoRoot: string, rooms: readonly string[]): string[] {
  const out = execFileSync(toolPath('git'), ['ls-files', '-z', '--', ...rooms.map((r) => `${r}/`)], { cwd: repoRoot, encoding: 'utf8' });
  const files = out.split('\0').filter((f) => f !== '' && !NOT_SHIPPED.test(f));
  if (files.length === 0) throw new ImageBuildError('InputMissing', `app layer: expected tracked files under ${rooms.join(', ')} in ${repoRoot}, got none`);
  return files;
}

function sourceFile(repoRoot: string, file: string): LayerEntry {
  // The mode is filled in from the checkout (fileMode) once every entry is known.
  return { kind: 'file', path: `${APP_DIR}/${file}`, mode: 0o644, content: { file: join(repoRoot, file) } };
}

/**
 * The app's package.json as Node needs it at run time: `"type": "module"` (so .ts files load as ES
 * modules) and the version the node reports. Scripts and dev dependencies stay out, so editing them
 * does not change the image.
 */
async function runtimePackageJson(repoRoot: string): Promise<LayerEntry> {
  const { name, version, type, engines } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  return { kind: 'file', path: `${APP_DIR}/package.json`, mode: 0o644, content: Buffer.from(`${JSON.stringify({ name, version, private: true, type, engines }, null, 2)}\n`) };
}

/** Every file of one installed package, nested packages (their own lock entries) left out. */
async function packageEntries(repoRoot: string, lockPath: string, lockVersion: string | undefined): Promise<LayerEntry[]> {
  const dir = join(repoRoot, lockPath);
  const manifest = await readFile(join(dir, 'package.json'), 'utf8').catch((cause: unknown) => {
    throw new ImageBuildError('InputMissing', `app layer: expected ${lockPath} installed (package-lock.json lists it), got no ${lockPath}/package.json; run npm ci`, { cause });
  });
  const installed = (JSON.parse(manifest) as { version?: string }).version;
  if (installed !== lockVersion) throw new ImageBuildError('PinMismatch', `app layer: ${lockPath}: expected version ${lockVersion} (package-lock.json), got ${installed} installed; run npm ci`);
  const entries: LayerEntry[] = [];
  for (const dirent of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const abs = join(dirent.parentPath, dirent.name);
    const rel = abs.slice(dir.length + 1);
    if (rel.split('/').includes('node_modules')) continue;
    const path = `${APP_DIR}/${lockPath}/${rel}`;
    if (dirent.isSymbolicLink()) entries.push({ kind: 'symlink', path, target: await readlink(abs) });
    else if (dirent.isDirectory()) entries.push({ kind: 'dir', path, mode: 0o755 });
    else if (dirent.isFile() && !NOT_RUNTIME.test(dirent.name)) entries.push({ kind: 'file', path, mode: 0o644, content: { file: abs } });
  }
  return entries;
}

/** 0755 for a file with any execute bit, else 0644: the same on every checkout whatever its umask. */
async function fileMode(file: string): Promise<number> {
  return ((await lstat(file)).mode & 0o111) !== 0 ? 0o755 : 0o644;
}
