import { createReadStream } from 'node:fs';
import { readLimited, writeVerifiedFile } from '../blob-file.ts';
import { checkDigest, digestHex, isDigest, sha256Digest } from '../digest.ts';
import { OciError } from '../errors.ts';
import type { Descriptor, FetchedManifest, ImageIndex } from '../manifest.ts';
import { encodeJson, parseManifest } from '../manifest.ts';
import { MANIFEST_TYPES, OCI_INDEX } from '../media-types.ts';
import type { ArtifactStore, BlobSource, SizeLimits } from '../store.ts';
import { DEFAULT_LIMITS } from '../store.ts';
import type { RegistryClient } from './client.ts';
import { repositoryScope } from './challenge.ts';
import { TransientError, withRetries } from './transport.ts';

/** Upload tuning. */
export interface UploadOptions {
  /** Upload in PATCH chunks of this many bytes; monolithic PUT when undefined. */
  readonly chunkBytes?: number;
}

/** One repository on a registry, as an ArtifactStore. */
export class RegistryRepository implements ArtifactStore {
  readonly location: string;
  readonly client: RegistryClient;
  readonly name: string;
  readonly #limits: SizeLimits;
  readonly #upload: UploadOptions;
  readonly #pull: string[];
  readonly #push: string[];

  constructor(client: RegistryClient, name: string, limits: SizeLimits = DEFAULT_LIMITS, upload: UploadOptions = {}) {
    this.client = client;
    this.name = name;
    this.location = `${client.host}/${name}`;
    this.#limits = limits;
    this.#upload = upload;
    this.#pull = [repositoryScope(name, ['pull'])];
    this.#push = [repositoryScope(name, ['pull', 'push'])];
  }

  async resolve(reference: string): Promise<Descriptor | undefined> {
    return withRetries(this.client.transport, async () => {
      const res = await this.client.send({ method: 'HEAD', url: `/v2/${this.name}/manifests/${reference}`, headers: { accept: MANIFEST_TYPES.join(', ') }, scopes: this.#pull });
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw await this.client.failure(res, `HEAD ${this.location}:${reference}`);
      const digest = res.headers.get('docker-content-digest');
      const size = Number(res.headers.get('content-length'));
      const mediaType = res.headers.get('content-type')?.split(';')[0]?.trim();
      if (digest === null || !isDigest(digest) || !Number.isInteger(size) || mediaType === undefined) {
        // Some registries omit the digest on HEAD: fall back to a verified GET.
        const m = await this.getManifest(reference);
        return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength };
      }
      if (isDigest(reference) && digest !== reference) {
        throw new OciError('DigestMismatch', `HEAD ${this.location}@${reference}: expected Docker-Content-Digest ${reference}, got ${digest}`);
      }
      return { mediaType, digest, size };
    });
  }

  async getManifest(reference: string, expect: { size?: number; mediaType?: string } = {}): Promise<FetchedManifest> {
    const what = `${this.location}${isDigest(reference) ? '@' : ':'}${reference}`;
    return withRetries(this.client.transport, async () => {
      const res = await this.client.send({ method: 'GET', url: `/v2/${this.name}/manifests/${reference}`, headers: { accept: MANIFEST_TYPES.join(', ') }, scopes: this.#pull });
      if (res.status === 404) {
        await res.body?.cancel();
        throw new OciError('ManifestNotFound', `${what}: expected a manifest, got 404 Not Found`);
      }
      if (res.status !== 200) throw await this.client.failure(res, `GET ${what}`);
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > this.#limits.manifestBytes) {
        await res.body?.cancel();
        throw new OciError('TooLarge', `${what}: expected a manifest of at most ${this.#limits.manifestBytes} bytes, got Content-Length ${declared}`);
      }
      const bytes = await readLimited(this.client.chunks(res, what), this.#limits.manifestBytes, what);
      if (!Number.isNaN(declared) && declared !== bytes.byteLength) {
        throw new TransientError('SizeMismatch', `${what}: expected Content-Length ${declared} bytes, got ${bytes.byteLength}`);
      }
      const headerDigest = res.headers.get('docker-content-digest');
      const digest = isDigest(reference) ? reference : sha256Digest(bytes);
      if (headerDigest !== null && headerDigest !== digest) {
        throw new OciError('DigestMismatch', `${what}: expected manifest digest ${digest} (computed), got Docker-Content-Digest ${headerDigest}`);
      }
      const contentType = res.headers.get('content-type')?.split(';')[0]?.trim();
      return parseManifest(bytes, what, {
        digest,
        ...(expect.size !== undefined ? { size: expect.size } : {}),
        ...(expect.mediaType !== undefined ? { mediaType: expect.mediaType } : {}),
        ...(contentType !== undefined && contentType !== 'application/json' ? { contentType } : {}),
      });
    });
  }

  async putManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<string> {
    const parsed = parseManifest(bytes, this.location, { mediaType });
    const digest = parsed.digest;
    if (bytes.byteLength > this.#limits.manifestBytes) throw new OciError('TooLarge', `${this.location}: expected a manifest of at most ${this.#limits.manifestBytes} bytes, got ${bytes.byteLength}`);
    const subjectSupported = await withRetries(this.client.transport, async () => {
      const res = await this.client.send({ method: 'PUT', url: `/v2/${this.name}/manifests/${tag ?? digest}`, headers: { 'content-type': mediaType }, body: () => bytes, scopes: this.#push });
      if (res.status !== 201 && res.status !== 200) throw await this.client.failure(res, `PUT ${this.location}:${tag ?? digest}`);
      await res.body?.cancel();
      const got = res.headers.get('docker-content-digest');
      if (got !== null && got !== digest) throw new OciError('DigestMismatch', `PUT ${this.location}: expected the registry to store digest ${digest}, got ${got}`);
      return res.headers.get('oci-subject') !== null;
    });
    const subject = parsed.kind === 'manifest' ? parsed.manifest.subject : parsed.index.subject;
    if (subject !== undefined && !subjectSupported) {
      const artifactType = parsed.kind === 'manifest' ? (parsed.manifest.artifactType ?? parsed.manifest.config.mediaType) : parsed.index.artifactType;
      const annotations = parsed.kind === 'manifest' ? parsed.manifest.annotations : parsed.index.annotations;
      await this.#addToFallbackIndex(subject.digest, { mediaType, digest, size: bytes.byteLength, ...(artifactType ? { artifactType } : {}), ...(annotations ? { annotations } : {}) });
    }
    return digest;
  }

  async hasBlob(digest: string): Promise<boolean> {
    return withRetries(this.client.transport, async () => {
      const res = await this.client.send({ method: 'HEAD', url: `/v2/${this.name}/blobs/${digest}`, scopes: this.#pull });
      if (res.status === 200) return true;
      if (res.status === 404) return false;
      throw await this.client.failure(res, `HEAD ${this.location}@${digest}`);
    });
  }

  async getBlob(descriptor: Descriptor): Promise<Uint8Array> {
    if (descriptor.size > this.#limits.smallBlobBytes) {
      throw new OciError('TooLarge', `${this.location}@${descriptor.digest}: expected at most ${this.#limits.smallBlobBytes} bytes in memory, got a descriptor of ${descriptor.size}`);
    }
    return withRetries(this.client.transport, async () => {
      const res = await this.#getBlobResponse(descriptor);
      const what = `${this.location}@${descriptor.digest}`;
      const bytes = await readLimited(this.client.chunks(res, what), descriptor.size, what).catch((e: unknown) => {
        throw e instanceof OciError && e.code === 'TooLarge' ? new OciError('SizeMismatch', `${what}: expected ${descriptor.size} bytes, got more`) : e;
      });
      if (bytes.byteLength !== descriptor.size) throw new TransientError('SizeMismatch', `${what}: expected ${descriptor.size} bytes, got ${bytes.byteLength}`);
      checkDigest(bytes, descriptor.digest, what);
      return bytes;
    });
  }

  async fetchBlobToFile(descriptor: Descriptor, file: string): Promise<void> {
    if (descriptor.size > this.#limits.blobBytes) {
      throw new OciError('TooLarge', `${this.location}@${descriptor.digest}: expected at most ${this.#limits.blobBytes} bytes, got a descriptor of ${descriptor.size}`);
    }
    await withRetries(this.client.transport, async () => {
      const res = await this.#getBlobResponse(descriptor);
      await writeVerifiedFile(this.client.chunks(res, `${this.location}@${descriptor.digest}`), descriptor, file, `${this.location}@${descriptor.digest}`);
    });
  }

  async putBlob(descriptor: Descriptor, source: BlobSource, mountFrom?: string): Promise<void> {
    if (await this.hasBlob(descriptor.digest)) return;
    await withRetries(this.client.transport, async () => {
      let location: string;
      if (mountFrom !== undefined && mountFrom !== this.name) {
        const res = await this.client.send({
          method: 'POST',
          url: `/v2/${this.name}/blobs/uploads/?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(mountFrom)}`,
          scopes: [repositoryScope(this.name, ['pull', 'push']), repositoryScope(mountFrom, ['pull'])],
        });
        await res.body?.cancel();
        if (res.status === 201) return;
        location = this.#location(res, 'mount');
      } else {
        const res = await this.client.send({ method: 'POST', url: `/v2/${this.name}/blobs/uploads/`, scopes: this.#push });
        await res.body?.cancel();
        location = this.#location(res, 'start upload');
      }
      const chunk = this.#upload.chunkBytes;
      if (chunk !== undefined && descriptor.size > chunk) {
        for (let start = 0; start < descriptor.size; start += chunk) {
          const end = Math.min(descriptor.size, start + chunk);
          const res = await this.client.send({
            method: 'PATCH',
            url: location,
            headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end - 1}` },
            body: () => slice(source, start, end),
            scopes: this.#push,
          });
          await res.body?.cancel();
          location = this.#location(res, `upload chunk ${start}-${end - 1}`);
        }
        await this.#commit(location, descriptor, undefined);
      } else {
        await this.#commit(location, descriptor, source);
      }
    });
  }

  /** All tags, following the Link header across pages of `pageSize`. */
  async listTags(pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${this.name}/tags/list?n=${pageSize}`;
    while (next !== undefined) {
      const url: string = next;
      const page = await withRetries(this.client.transport, async () => {
        const res = await this.client.send({ method: 'GET', url, scopes: this.#pull });
        if (res.status === 404) {
          await res.body?.cancel();
          return { tags: [] as string[], link: null };
        }
        if (res.status !== 200) throw await this.client.failure(res, `GET ${this.location} tags`);
        const bytes = await readLimited(this.client.chunks(res, 'tags'), this.#limits.manifestBytes, `${this.location} tag list`);
        const body = JSON.parse(Buffer.from(bytes).toString('utf8')) as { tags?: unknown };
        return { tags: Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [], link: res.headers.get('link') };
      });
      tags.push(...page.tags);
      next = page.link !== null ? /<([^>]+)>/.exec(page.link)?.[1] : undefined;
    }
    return tags.sort();
  }

  async supportsReferrers(digest: string): Promise<boolean> {
    return (await this.#referrersApi(digest, '')) !== undefined;
  }

  /** OCI 1.1 referrers API; when the registry lacks it (404), the `sha256-<hex>` tag-scheme index. */
  async referrers(digest: string, artifactType?: string): Promise<Descriptor[]> {
    const query = artifactType !== undefined ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const api = await this.#referrersApi(digest, query);
    const list = api ?? (await this.#fallbackIndex(digest))?.manifests ?? [];
    return artifactType !== undefined ? list.filter((d) => d.artifactType === artifactType) : list;
  }

  async #referrersApi(digest: string, query: string): Promise<Descriptor[] | undefined> {
    return withRetries(this.client.transport, async () => {
      const res = await this.client.send({ method: 'GET', url: `/v2/${this.name}/referrers/${digest}${query}`, headers: { accept: OCI_INDEX }, scopes: this.#pull });
      if (res.status === 404 || res.status === 400 || res.status === 405) {
        await res.body?.cancel();
        return undefined;
      }
      if (res.status !== 200) throw await this.client.failure(res, `GET ${this.location} referrers of ${digest}`);
      const bytes = await readLimited(this.client.chunks(res, 'referrers'), this.#limits.manifestBytes, `${this.location} referrers`);
      const parsed = parseManifest(bytes, `${this.location} referrers of ${digest}`, {});
      if (parsed.kind !== 'index') throw new OciError('InvalidManifest', `${this.location} referrers of ${digest}: expected an image index, got a manifest`);
      return parsed.index.manifests;
    });
  }

  async #fallbackIndex(digest: string): Promise<ImageIndex | undefined> {
    const tag = `sha256-${digestHex(digest)}`;
    const existing = await this.getManifest(tag).catch((e: unknown) => {
      if (e instanceof OciError && e.code === 'ManifestNotFound') return undefined;
      throw e;
    });
    if (existing === undefined) return undefined;
    if (existing.kind !== 'index') throw new OciError('InvalidManifest', `${this.location}:${tag}: expected the referrers tag-scheme index, got an image manifest`);
    return existing.index;
  }

  async #addToFallbackIndex(subject: string, referrer: Descriptor): Promise<void> {
    const current = await this.#fallbackIndex(subject);
    const manifests = [...(current?.manifests ?? []).filter((d) => d.digest !== referrer.digest), referrer];
    await this.putManifest(encodeJson({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }), OCI_INDEX, `sha256-${digestHex(subject)}`);
  }

  async #getBlobResponse(descriptor: Descriptor): Promise<Response> {
    const what = `${this.location}@${descriptor.digest}`;
    const res = await this.client.send({ method: 'GET', url: `/v2/${this.name}/blobs/${descriptor.digest}`, scopes: this.#pull });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new OciError('BlobNotFound', `${what}: expected a blob, got 404 Not Found`);
    }
    if (res.status !== 200) throw await this.client.failure(res, `GET ${what}`);
    const declared = res.headers.get('content-length');
    if (declared !== null && Number(declared) !== descriptor.size) {
      // The descriptor (covered by the manifest digest) is the truth; a registry that disagrees is refused before any byte is stored.
      await res.body?.cancel();
      throw new OciError('SizeMismatch', `${what}: expected ${descriptor.size} bytes (descriptor), got Content-Length ${declared}`);
    }
    return res;
  }

  #location(res: Response, what: string): string {
    const location = res.headers.get('location');
    if (res.status !== 202 || location === null) {
      throw new OciError('ProtocolError', `${this.location} ${what}: expected 202 Accepted with a Location, got HTTP ${res.status}${location === null ? ' without Location' : ''}`);
    }
    return location;
  }

  async #commit(location: string, descriptor: Descriptor, source: BlobSource | undefined): Promise<void> {
    const url = new URL(location, this.client.baseUrl);
    url.searchParams.set('digest', descriptor.digest);
    const res = await this.client.send({
      method: 'PUT',
      url: url.toString(),
      headers: { 'content-type': 'application/octet-stream' },
      ...(source !== undefined ? { body: () => slice(source, 0, descriptor.size) } : {}),
      scopes: this.#push,
    });
    if (res.status !== 201) throw await this.client.failure(res, `PUT ${this.location} blob ${descriptor.digest}`);
    await res.body?.cancel();
    const got = res.headers.get('docker-content-digest');
    if (got !== null && got !== descriptor.digest) throw new OciError('DigestMismatch', `${this.location}: expected the registry to store blob ${descriptor.digest}, got ${got}`);
  }
}

/** A byte range of a blob source as a request body (a fresh stream per call, so retries can resend). */
function slice(source: BlobSource, start: number, end: number): Uint8Array | ReadableStream<Uint8Array> {
  if ('bytes' in source) return source.bytes.subarray(start, end);
  return streamFile(source.file, start, end);
}

function streamFile(file: string, start: number, end: number): ReadableStream<Uint8Array> {
  const stream = createReadStream(file, { start, end: end - 1 });
  return ReadableStream.from(stream) as ReadableStream<Uint8Array>;
}

