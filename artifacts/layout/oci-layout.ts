import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { readLimited, writeVerifiedFile } from '../blob-file.ts';
import { checkDigest, digestHex, isDigest, sha256Digest } from '../digest.ts';
import { OciError } from '../errors.ts';
import type { Descriptor, FetchedManifest, ImageIndex } from '../manifest.ts';
import { describe, encodeJson, parseManifest } from '../manifest.ts';
import { OCI_INDEX } from '../media-types.ts';
import type { ArtifactStore, BlobSource, SizeLimits } from '../store.ts';
import { DEFAULT_LIMITS } from '../store.ts';

const REF_NAME = 'org.opencontainers.image.ref.name';
const LAYOUT_FILE = JSON.stringify({ imageLayoutVersion: '1.0.0' });

/** Per-directory write queue: index.json is read-modify-written, so writers in one process take turns. */
const indexLocks = new Map<string, Promise<unknown>>();

/**
 * A local OCI image-layout directory (oci-layout, index.json, blobs/sha256/) as a store: the
 * air-gapped edge site's registry and the node runtime's verified cache. Tags are
 * `org.opencontainers.image.ref.name` annotations in index.json, as oras and skopeo write them.
 */
export class OciLayoutStore implements ArtifactStore {
  readonly location: string;
  readonly root: string;
  readonly #limits: SizeLimits;
  /**
   * Read-only (readLayout): the layout does not change while it is read, so index.json and each
   * small blob are read once, and nothing is created or written (no init, no index update).
   */
  readonly #frozen: { index?: Promise<ImageIndex>; readonly blobs: Map<string, Promise<Uint8Array>> } | undefined;

  constructor(path: string, limits: SizeLimits = DEFAULT_LIMITS, readOnly = false) {
    this.root = resolve(path);
    this.location = `oci-layout:${this.root}`;
    this.#limits = limits;
    this.#frozen = readOnly ? { blobs: new Map() } : undefined;
  }

  /** Creates the directory skeleton if absent; refuses a directory that is some other layout version. */
  async init(): Promise<this> {
    this.#writable('init');
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    const layoutFile = join(this.root, 'oci-layout');
    const existing = await readFile(layoutFile, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    if (existing === undefined) {
      await writeAtomic(layoutFile, Buffer.from(LAYOUT_FILE));
    } else if ((JSON.parse(existing) as { imageLayoutVersion?: unknown }).imageLayoutVersion !== '1.0.0') {
      throw new OciError('LayoutCorrupt', `${layoutFile}: expected imageLayoutVersion 1.0.0, got ${existing.trim()}`);
    }
    if (!(await exists(join(this.root, 'index.json')))) {
      await writeAtomic(join(this.root, 'index.json'), encodeJson({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
    }
    return this;
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  readIndex(): Promise<ImageIndex> {
    if (!this.#frozen) return this.#loadIndex();
    this.#frozen.index ??= this.#loadIndex();
    return this.#frozen.index;
  }

  async #loadIndex(): Promise<ImageIndex> {
    const file = join(this.root, 'index.json');
    const bytes = await readFile(file).catch((cause: unknown) => {
      throw new OciError('LayoutCorrupt', `${file}: expected an OCI layout index.json; run init or check the path`, { cause });
    });
    let parsed;
    try {
      parsed = parseManifest(bytes, file, {});
    } catch (cause) {
      throw new OciError('LayoutCorrupt', `${file}: expected a valid OCI image index, got ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    if (parsed.kind !== 'index') throw new OciError('LayoutCorrupt', `${file}: expected an image index, got a manifest`);
    return parsed.index;
  }

  async resolve(reference: string): Promise<Descriptor | undefined> {
    const index = await this.readIndex();
    if (isDigest(reference)) {
      const listed = index.manifests.find((m) => m.digest === reference);
      if (listed !== undefined) return stripRefName(listed);
      // Untagged manifests (signatures, referrers' subjects) may exist only as blobs.
      if (!(await exists(this.blobPath(reference)))) return undefined;
      const bytes = await this.#readBlobFile(reference, this.#limits.manifestBytes);
      const parsed = parseManifest(bytes, `${this.location}@${reference}`, { digest: reference });
      return { mediaType: parsed.mediaType, digest: reference, size: bytes.byteLength };
    }
    const tagged = index.manifests.filter((m) => m.annotations?.[REF_NAME] === reference);
    const last = tagged.at(-1);
    return last === undefined ? undefined : stripRefName(last);
  }

  async getManifest(reference: string, expect: { size?: number; mediaType?: string } = {}): Promise<FetchedManifest> {
    const desc = await this.resolve(reference);
    if (desc === undefined) throw new OciError('ManifestNotFound', `${this.location}: expected a manifest for ${reference}, got none`);
    const bytes = await this.#readBlobFile(desc.digest, this.#limits.manifestBytes);
    return parseManifest(bytes, `${this.location}@${desc.digest}`, { digest: desc.digest, size: expect.size ?? desc.size, mediaType: expect.mediaType ?? desc.mediaType });
  }

  async putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<string> {
    this.#writable('putManifest');
    const parsed = parseManifest(bytes, this.location, { mediaType });
    const digest = sha256Digest(bytes);
    await this.putBlob(describe(mediaType, bytes), { bytes });
    const desc: Descriptor = {
      mediaType,
      digest,
      size: bytes.byteLength,
      ...(parsed.kind === 'manifest' && parsed.manifest.artifactType !== undefined ? { artifactType: parsed.manifest.artifactType } : {}),
    };
    await this.#updateIndex((manifests) => {
      // One entry per tag; untagged manifests stay listed so they survive garbage collection.
      const kept = manifests.filter((m) => (tag !== undefined ? m.annotations?.[REF_NAME] !== tag : true) && !(m.digest === digest && m.annotations?.[REF_NAME] === undefined));
      return [...kept, tag !== undefined ? { ...desc, annotations: { [REF_NAME]: tag } } : desc];
    });
    return digest;
  }

  async hasBlob(digest: string): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  async getBlob(descriptor: Descriptor): Promise<Uint8Array> {
    if (descriptor.size > this.#limits.smallBlobBytes) {
      throw new OciError('TooLarge', `${this.location}@${descriptor.digest}: expected at most ${this.#limits.smallBlobBytes} bytes in memory, got a descriptor of ${descriptor.size}`);
    }
    const bytes = await this.#readBlobFile(descriptor.digest, this.#limits.smallBlobBytes);
    if (bytes.byteLength !== descriptor.size) throw new OciError('SizeMismatch', `${this.location}@${descriptor.digest}: expected ${descriptor.size} bytes, got ${bytes.byteLength}`);
    return bytes;
  }

  async fetchBlobToFile(descriptor: Descriptor, file: string): Promise<void> {
    if (descriptor.size > this.#limits.blobBytes) throw new OciError('TooLarge', `${this.location}@${descriptor.digest}: expected at most ${this.#limits.blobBytes} bytes, got a descriptor of ${descriptor.size}`);
    const path = this.blobPath(descriptor.digest);
    if (!(await exists(path))) throw new OciError('BlobNotFound', `${this.location}: expected blob ${descriptor.digest}, got none`);
    await writeVerifiedFile(createReadStream(path), descriptor, file, `${this.location}@${descriptor.digest}`);
  }

  async putBlob(descriptor: Descriptor, source: BlobSource): Promise<void> {
    this.#writable('putBlob');
    const path = this.blobPath(descriptor.digest);
    if (await exists(path)) return;
    const chunks = 'bytes' in source ? [source.bytes] : createReadStream(source.file);
    await writeVerifiedFile(toAsync(chunks), descriptor, path, `${this.location}@${descriptor.digest}`);
  }

  /**
   * Re-hashes a stored blob. A blob that no longer matches its name (disk corruption, tampering at
   * rest) is deleted so the next pull fetches it again; returns whether it was intact.
   */
  async verifyBlob(descriptor: Descriptor): Promise<boolean> {
    this.#writable('verifyBlob');
    const path = this.blobPath(descriptor.digest);
    try {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
        size += chunk.byteLength;
        hash.update(chunk);
      }
      if (size === descriptor.size && `sha256:${hash.digest('hex')}` === descriptor.digest) return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return false;
    }
    await rm(path, { force: true });
    return false;
  }

  async listTags(): Promise<string[]> {
    const index = await this.readIndex();
    return [...new Set(index.manifests.flatMap((m) => (m.annotations?.[REF_NAME] !== undefined ? [m.annotations[REF_NAME]] : [])))].sort();
  }

  async supportsReferrers(): Promise<boolean> {
    return Promise.resolve(true);
  }

  async referrers(digest: string, artifactType?: string): Promise<Descriptor[]> {
    const index = await this.readIndex();
    const out: Descriptor[] = [];
    for (const m of index.manifests) {
      const parsed = await this.getManifest(m.digest).catch(() => undefined);
      if (parsed?.kind !== 'manifest' || parsed.manifest.subject?.digest !== digest) continue;
      const type = parsed.manifest.artifactType ?? parsed.manifest.config.mediaType;
      if (artifactType !== undefined && type !== artifactType) continue;
      out.push({ mediaType: parsed.mediaType, digest: m.digest, size: m.size, artifactType: type, ...(parsed.manifest.annotations ? { annotations: parsed.manifest.annotations } : {}) });
    }
    return out;
  }

  #readBlobFile(digest: string, limit: number): Promise<Uint8Array> {
    if (!this.#frozen) return this.#loadBlobFile(digest, limit);
    let bytes = this.#frozen.blobs.get(digest);
    if (!bytes) {
      // One readFile (no existence check first): the fewest trips through the thread pool.
      bytes = readFile(this.blobPath(digest)).then(
        (b) => {
          if (b.byteLength > limit) throw new OciError('TooLarge', `${this.location}@${digest}: expected at most ${limit} bytes, got ${b.byteLength}`);
          checkDigest(b, digest, `${this.location} blob`);
          return new Uint8Array(b);
        },
        (e: NodeJS.ErrnoException) => {
          throw e.code === 'ENOENT' ? new OciError('BlobNotFound', `${this.location}: expected blob ${digest}, got none`) : e;
        },
      );
      this.#frozen.blobs.set(digest, bytes);
    }
    return bytes;
  }

  #writable(what: string): void {
    if (this.#frozen) throw new OciError('LayoutCorrupt', `${this.location}: ${what} on a layout opened read-only (readLayout); expected no write`);
  }

  async #loadBlobFile(digest: string, limit: number): Promise<Uint8Array> {
    const path = this.blobPath(digest);
    if (!(await exists(path))) throw new OciError('BlobNotFound', `${this.location}: expected blob ${digest}, got none`);
    const bytes = await readLimited(createReadStream(path), limit, `${this.location}@${digest}`);
    checkDigest(bytes, digest, `${this.location} blob`);
    return bytes;
  }

  async #updateIndex(change: (manifests: Descriptor[]) => Descriptor[]): Promise<void> {
    const previous = indexLocks.get(this.root) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const index = await this.readIndex();
      const updated: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: change(index.manifests), ...(index.annotations ? { annotations: index.annotations } : {}) };
      await writeAtomic(join(this.root, 'index.json'), encodeJson(updated));
    });
    indexLocks.set(this.root, next);
    try {
      await next;
    } finally {
      if (indexLocks.get(this.root) === next) indexLocks.delete(this.root);
    }
  }
}

/** Opens (creating if needed) a layout directory. */
export async function openLayout(path: string, limits?: SizeLimits): Promise<OciLayoutStore> {
  return new OciLayoutStore(path, limits).init();
}

/**
 * A layout to read only, e.g. a cache entry being verified: nothing is created or written, and
 * index.json and each manifest are read once however often verification asks for them.
 */
export function readLayout(path: string, limits?: SizeLimits): OciLayoutStore {
  return new OciLayoutStore(path, limits, true);
}

function stripRefName(d: Descriptor): Descriptor {
  const { annotations, ...rest } = d;
  const others = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k !== REF_NAME));
  return Object.keys(others).length > 0 ? { ...rest, annotations: others } : rest;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? false : Promise.reject(e)),
  );
}

async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.partial`;
  await writeFile(temp, bytes);
  const handle = await open(temp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}

async function* toAsync(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const c of chunks) yield c;
}
