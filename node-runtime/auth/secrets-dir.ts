/**
 * Secrets as a standalone node reads them: `<dir>/<namespace>/<name>/<key>`, one file per data key,
 * the layout Kubernetes gives a Secret mounted as a volume (its `..data` links and dot files are
 * skipped). Keeps secrets out of the manifest directory, which is Git.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Reads one Secret's data; undefined when there is no such Secret. */
export type SecretSource = (namespace: string, name: string) => Promise<ReadonlyMap<string, string> | undefined>;

/** Largest data value read: digests and JWKS are small. */
const MAX_VALUE_BYTES = 64 * 1024;

/** A SecretSource over a directory. */
export function secretsDir(dir: string): SecretSource {
  return async (namespace, name) => {
    const at = join(dir, namespace, name);
    let entries;
    try {
      entries = await readdir(at, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const data = new Map<string, string>();
    for (const e of entries) {
      if (e.name.startsWith('.') || e.isDirectory()) continue;
      const bytes = await readFile(join(at, e.name));
      if (bytes.length <= MAX_VALUE_BYTES) data.set(e.name, bytes.toString('utf8'));
    }
    return data;
  };
}
