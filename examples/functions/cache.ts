/**
 * Content-addressed build outputs: a key from everything that determines the bytes, and a publish
 * step that never leaves a half-written file under the final name (write to a temp name in the same
 * directory, fsync, rename). Shared by the example builds and bench/runc's native bundle.
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';

/** Root of Flotilla's build caches: FLOTILLA_CACHE_DIR, else ~/.cache/flotilla. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['FLOTILLA_CACHE_DIR'] || join(homedir(), '.cache', 'flotilla');
}

/** sha256 hex of bytes or a string. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Every file under `dir` (sorted, relative paths) with its sha256, skipping `ignore` names.
 * READMEs are the usual ignore: prose does not change the module.
 */
export async function sourceDigests(dir: string, ignore: readonly string[]): Promise<ReadonlyArray<readonly [string, string]>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && !ignore.includes(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  return Promise.all(files.map(async (file) => [relative(dir, file), sha256Hex(await readFile(file))] as const));
}

/** A short stable key of a JSON-serialisable description of a build. */
export function buildKey(description: unknown): string {
  return sha256Hex(JSON.stringify(description)).slice(0, 16);
}

/** fsyncs `tempPath` and renames it to `finalPath` (same filesystem), so readers see all or nothing. */
export async function publishFile(tempPath: string, finalPath: string): Promise<void> {
  const handle = await open(tempPath, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tempPath, finalPath);
}

/**
 * Renames a finished directory into place. When a concurrent builder got there first the existing
 * directory wins (same key, same content) and ours is removed.
 */
export async function publishDir(tempDir: string, finalDir: string): Promise<void> {
  try {
    await rename(tempDir, finalDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    await rm(tempDir, { recursive: true, force: true });
  }
}
