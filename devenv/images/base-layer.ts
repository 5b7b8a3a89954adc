/**
 * The base layer shared by both images: the pinned Node 24 binary, the shared libraries it links
 * (taken from the pinned Debian .deb files, nothing else of them), /etc/passwd and /etc/group with
 * the unprivileged app user, its home, and /tmp. No shell, no package manager.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import tar from 'tar-stream';
import { sha256Hex } from '../../examples/functions/cache.ts';
import { ImageBuildError } from './errors.ts';
import type { LayerEntry } from './tar-layer.ts';

/** The app user: the conventional unprivileged uid of distroless images, which the rendered pods run as. */
export const APP_USER = { uid: 65532, gid: 65532, name: 'flotilla', home: 'home/flotilla' } as const;

/** Where the node binary sits in the image. */
export const NODE_PATH = 'usr/local/bin/node';

/** devenv/images/base.json. */
export interface BasePins {
  readonly node: { readonly binary: string; readonly sha256: string };
  readonly debian: readonly DebianPin[];
  /** The nats image's packages (devenv/images/nats-layer.ts). */
  readonly nats: { readonly debian: readonly DebianPin[] };
}

/** One Debian package the base layer takes files from. */
export interface DebianPin {
  readonly package: string;
  readonly version: string;
  readonly architecture: string;
  readonly sha256: string;
  /** Paths inside the package (as `dpkg-deb -c` lists them, without `./`). */
  readonly paths: readonly string[];
}

/** The parsed pin file. */
export async function basePins(): Promise<BasePins> {
  return JSON.parse(await readFile(new URL('./base.json', import.meta.url), 'utf8')) as BasePins;
}

/** Collects the base layer's entries; .deb files are fetched into `debCache` once. */
export async function baseLayer(repoRoot: string, pins: BasePins, debCache: string, log: (line: string) => void): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [await nodeBinary(repoRoot, pins.node)];
  for (const pin of pins.debian) entries.push(...(await debFiles(await fetchDeb(pin, debCache, log), pin)));
  entries.push(...userEntries());
  return entries;
}

/** /etc/passwd and /etc/group naming root and the app user, the user's home, and /tmp: what every image has. */
export function userEntries(): LayerEntry[] {
  const { uid, gid, name, home } = APP_USER;
  const text = (path: string, body: string): LayerEntry => ({ kind: 'file', path, mode: 0o644, content: Buffer.from(body) });
  return [
    text('etc/passwd', `root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:/${home}:/sbin/nologin\n`),
    text('etc/group', `root:x:0:\n${name}:x:${gid}:\n`),
    { kind: 'dir', path: home, mode: 0o755, uid, gid },
    { kind: 'dir', path: 'tmp', mode: 0o1777 },
  ];
}

async function nodeBinary(repoRoot: string, pin: BasePins['node']): Promise<LayerEntry> {
  const file = join(repoRoot, pin.binary);
  const bytes = await readFile(file).catch((cause: unknown) => {
    throw new ImageBuildError('InputMissing', `base layer: expected the node binary at ${file} (the node npm package, a dev dependency), got none; run npm ci`, { cause });
  });
  const got = sha256Hex(bytes);
  if (got !== pin.sha256) {
    throw new ImageBuildError('PinMismatch', `base layer: ${pin.binary}: expected sha256 ${pin.sha256} (devenv/images/base.json node.sha256), got ${got}; after a deliberate node upgrade, put the new sha256 there`);
  }
  return { kind: 'file', path: NODE_PATH, mode: 0o755, content: bytes };
}

/** The pinned .deb in the cache, downloaded by `apt-get download` when absent; its sha256 is checked either way. */
export async function fetchDeb(pin: DebianPin, debCache: string, log: (line: string) => void): Promise<string> {
  const file = join(debCache, `${pin.package}_${pin.version.replace(/:/g, '%3a')}_${pin.architecture}.deb`);
  if (!existsSync(file)) {
    log(`apt-get download ${pin.package}=${pin.version}`);
    await mkdir(debCache, { recursive: true });
    const work = await mkdtemp(join(debCache, '.download-'));
    try {
      const download = () => execa('apt-get', ['download', `${pin.package}:${pin.architecture}=${pin.version}`], { cwd: work, stdin: 'ignore', reject: false });
      let r = await download();
      if (r.failed) {
        // A machine whose package lists were never fetched (or were cleaned) knows no versions yet.
        log('apt-get update');
        await execa('apt-get', ['update'], { stdin: 'ignore', reject: false });
        r = await download();
      }
      if (r.failed) {
        throw new ImageBuildError('InputMissing', `apt-get download ${pin.package}=${pin.version}: ${r.stderr || r.message}; when Debian no longer serves that version, bump it and its sha256 in devenv/images/base.json`);
      }
      const [got] = await readdir(work);
      if (got === undefined) throw new ImageBuildError('InputMissing', `apt-get download ${pin.package}=${pin.version}: expected a .deb, got none`);
      await rename(join(work, got), file);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const got = sha256Hex(await readFile(file));
  if (got !== pin.sha256) throw new ImageBuildError('PinMismatch', `${file}: expected sha256 ${pin.sha256} (devenv/images/base.json, ${pin.package} ${pin.version}), got ${got}`);
  return file;
}

/** The pinned paths of one .deb, read from its data tar (`dpkg-deb --fsys-tarfile`) with their modes and link targets. */
export async function debFiles(deb: string, pin: DebianPin): Promise<LayerEntry[]> {
  const wanted = new Set(pin.paths);
  const out: LayerEntry[] = [];
  const extract = tar.extract();
  const child = execa('dpkg-deb', ['--fsys-tarfile', deb], { stdin: 'ignore', buffer: { stdout: false }, reject: false });
  child.stdout.pipe(extract);
  for await (const entry of extract) {
    const path = entry.header.name.replace(/^\.\//, '').replace(/\/$/, '');
    if (wanted.has(path)) {
      wanted.delete(path);
      if (entry.header.type === 'symlink') out.push({ kind: 'symlink', path, target: entry.header.linkname ?? '' });
      else if (entry.header.type === 'file') {
        const chunks: Buffer[] = [];
        for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
        out.push({ kind: 'file', path, mode: ((entry.header.mode ?? 0) & 0o111) !== 0 ? 0o755 : 0o644, content: Buffer.concat(chunks) });
        continue;
      } else throw new ImageBuildError('PinMismatch', `${deb}: ${path}: expected a file or symlink, got a ${entry.header.type}`);
    }
    entry.resume();
  }
  const result = await child;
  if (result.failed) throw new ImageBuildError('InputMissing', `dpkg-deb --fsys-tarfile ${deb}: ${result.stderr || result.message}`);
  if (wanted.size > 0) throw new ImageBuildError('PinMismatch', `${deb}: expected ${[...wanted].join(', ')} (devenv/images/base.json ${pin.package} paths), got none`);
  return out;
}
