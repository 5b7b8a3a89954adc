/**
 * One image layer as a reproducible tar: the same entries always give the same bytes, hence the
 * same digest. Entries are sorted bytewise by path, missing parent directories are added, and every
 * header carries a fixed mtime (the epoch), numeric owners and no user or group names, so nothing
 * of the machine, the checkout time or the build order reaches the layer.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import tar from 'tar-stream';
import { ImageBuildError } from './errors.ts';

type HeaderArgument = Parameters<tar.Pack['entry']>[0];

/** What every entry shares: a clean relative path (no leading `/`, no `.` or `..` segment) and its owner. */
interface EntryBase {
  readonly path: string;
  /** @default 0 */
  readonly uid?: number;
  /** @default 0 */
  readonly gid?: number;
}

/** A file, a directory or a symlink of a layer. */
export type LayerEntry =
  | (EntryBase & { readonly kind: 'file'; readonly mode: number; readonly content: Uint8Array | { readonly file: string } })
  | (EntryBase & { readonly kind: 'dir'; readonly mode: number })
  | (EntryBase & { readonly kind: 'symlink'; readonly target: string });

/** A written layer's digest and size; the layer is uncompressed, so the digest is also the config's diff_id. */
export interface WrittenLayer {
  readonly digest: string;
  readonly size: number;
}

/** Mode of parent directories nobody listed. */
const IMPLICIT_DIR_MODE = 0o755;
/** Every header's mtime: the epoch, so a checkout's file times never reach the digest. */
const MTIME = new Date(0);
const CLEAN_PATH = /^(?!\/)(?!.*(?:^|\/)\.{1,2}(?:\/|$))[^\0]+(?<!\/)$/;

/**
 * The entries in write order: validated, parents added, sorted bytewise by path. Pure: this is what
 * makes the tar reproducible, so it is tested on its own.
 */
export function normalizeEntries(entries: readonly LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) {
    if (!CLEAN_PATH.test(entry.path)) throw new ImageBuildError('InvalidEntry', `layer entry path: expected a relative path without '.', '..' or a trailing '/', got ${JSON.stringify(entry.path)}`);
    const previous = byPath.get(entry.path);
    // The same directory from two sources (two packages sharing lib/) is one directory; anything else twice is a conflict.
    if (previous !== undefined && !(previous.kind === 'dir' && entry.kind === 'dir' && previous.mode === entry.mode)) {
      throw new ImageBuildError('InvalidEntry', `layer entry ${entry.path}: expected one entry per path, got a ${previous.kind} and a ${entry.kind}`);
    }
    byPath.set(entry.path, entry);
  }
  for (const path of [...byPath.keys()]) {
    for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) {
      const parent = path.slice(0, at);
      const existing = byPath.get(parent);
      if (existing === undefined) byPath.set(parent, { kind: 'dir', path: parent, mode: IMPLICIT_DIR_MODE });
      else if (existing.kind !== 'dir') throw new ImageBuildError('InvalidEntry', `layer entry ${path}: its parent ${parent} is a ${existing.kind}, expected a directory`);
    }
  }
  // Bytewise, not locale order: the same on every machine.
  return [...byPath.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Writes the entries as a tar to `file` and returns its digest and size. */
export async function writeTarLayer(entries: readonly LayerEntry[], file: string): Promise<WrittenLayer> {
  const ordered = normalizeEntries(entries);
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  // The reader drains the pack while entries are added (each add waits for its bytes to be taken).
  const written = (async () => {
    const out = await open(file, 'w');
    try {
      for await (const chunk of pack as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.byteLength;
        await out.write(chunk);
      }
    } finally {
      await out.close();
    }
  })();
  try {
    for (const entry of ordered) await addEntry(pack, entry);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => undefined);
    throw err;
  }
  await written;
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function addEntry(pack: tar.Pack, entry: LayerEntry): Promise<void> {
  const owner = { uid: entry.uid ?? 0, gid: entry.gid ?? 0, uname: '', gname: '', mtime: MTIME };
  const header: HeaderArgument =
    entry.kind === 'dir'
      ? { ...owner, name: `${entry.path}/`, type: 'directory', mode: entry.mode }
      : entry.kind === 'symlink'
        ? { ...owner, name: entry.path, type: 'symlink', linkname: entry.target, mode: 0o777 }
        : { ...owner, name: entry.path, type: 'file', mode: entry.mode };
  const body = entry.kind === 'file' ? ('file' in entry.content ? await readFile(entry.content.file) : Buffer.from(entry.content)) : undefined;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body === undefined) pack.entry(header, done);
    else pack.entry({ ...header, size: body.byteLength }, body, done);
  });
}
