/**
 * Runs a built image without a kubelet or a container daemon: the image's layers unpacked into a
 * root filesystem, an OCI runtime config made from the image config (its user, entrypoint,
 * environment and working directory), started with Debian's runc. What the node runtime needs to
 * run on a bare edge device, and how the tests prove an image runs as built.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import type { OciLayoutStore } from '../../artifacts/index.ts';
import { mediaTypes } from '../../artifacts/index.ts';
import { toolPath } from '../tools/paths.ts';
import { ImageBuildError } from './errors.ts';

/** The part of an OCI image config (image-spec config.md) a container is made from. */
export interface ImageConfig {
  readonly config: { readonly User?: string; readonly Env?: readonly string[]; readonly Entrypoint?: readonly string[]; readonly Cmd?: readonly string[]; readonly WorkingDir?: string };
}

/** A host directory bound into the container. */
export interface BindMount {
  readonly source: string;
  readonly destination: string;
  /** @default true */
  readonly readOnly?: boolean;
}

export interface ContainerOptions {
  /** Replaces the image's Cmd (the default arguments after the entrypoint). @default the image's Cmd */
  readonly args?: readonly string[];
  /** @default none */
  readonly mounts?: readonly BindMount[];
}

/** Character devices a Node process may open (null, zero, full, random, urandom, tty); every other device is denied. */
const DEVICES = [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0]] as const;

/** Unpacks the image `reference` (tag or digest) of `layout` into `rootfs`, layer by layer; returns its config. */
export async function unpackImage(layout: OciLayoutStore, reference: string, rootfs: string): Promise<ImageConfig> {
  const fetched = await layout.getManifest(reference);
  if (fetched.kind !== 'manifest') throw new ImageBuildError('InvalidArgument', `${layout.location}@${reference}: expected an image manifest, got an index`);
  await mkdir(rootfs, { recursive: true });
  for (const layer of fetched.manifest.layers) {
    if (layer.mediaType !== mediaTypes.OCI_LAYER_TAR) throw new ImageBuildError('InvalidArgument', `${layout.location}@${reference}: layer ${layer.digest}: expected ${mediaTypes.OCI_LAYER_TAR}, got ${layer.mediaType}`);
    // The layout verified the blob when it was written; GNU tar (Debian's essential tar) applies it with owners and modes.
    await execa('tar', ['--extract', '--file', layout.blobPath(layer.digest), '--directory', rootfs, '--same-owner', '--same-permissions'], { stdin: 'ignore' });
  }
  return JSON.parse(Buffer.from(await layout.getBlob(fetched.manifest.config)).toString('utf8')) as ImageConfig;
}

/**
 * The OCI runtime config (runtime-spec config.md) of a container of `image`: its user and command,
 * a read-only root, a tmpfs /tmp, no capabilities, no new privileges. It shares the host's network
 * namespace: the tests and an edge device reach it on the host's addresses without a CNI plugin.
 */
export function runtimeConfig(image: ImageConfig, options: ContainerOptions = {}): object {
  const { User, Env = [], Entrypoint = [], Cmd = [], WorkingDir = '/' } = image.config;
  const user = /^(\d+):(\d+)$/.exec(User ?? '');
  if (user === null || user[1] === '0') throw new ImageBuildError('InvalidArgument', `image config User: expected a numeric non-root uid:gid (e.g. 65532:65532), got ${JSON.stringify(User)}`);
  const args = [...Entrypoint, ...(options.args ?? Cmd)];
  if (args.length === 0) throw new ImageBuildError('InvalidArgument', 'image config: expected an Entrypoint or Cmd, got neither');
  const noCaps: string[] = [];
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: Number(user[1]), gid: Number(user[2]) },
      args,
      env: [...Env],
      cwd: WorkingDir,
      capabilities: { bounding: noCaps, effective: noCaps, permitted: noCaps, ambient: noCaps },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'flotilla',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=64k'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=256m'] },
      ...(options.mounts ?? []).map((m) => ({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readOnly === false ? 'rw' : 'ro'] })),
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }, ...DEVICES.map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' }))] },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** A container started by runc; `stop` sends SIGTERM, then SIGKILL after `graceMs`, and deletes it. */
export interface RunningContainer {
  readonly id: string;
  /** runc's foreground process: its stdout and stderr are the container's. */
  readonly process: ResultPromise<{ stdin: 'ignore'; reject: false }>;
  stop(graceMs?: number): Promise<void>;
}

/** Writes config.json beside `rootfs/` in `bundleDir` and starts the container in the foreground of a runc child. */
export async function startContainer(bundleDir: string, config: object): Promise<RunningContainer> {
  const runc = toolPath('runc');
  await writeFile(join(bundleDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const id = `flotilla-image-${process.pid}-${randomUUID().slice(0, 8)}`;
  const child = execa(runc, ['run', '--bundle', bundleDir, id], { stdin: 'ignore', reject: false });
  return {
    id,
    process: child,
    async stop(graceMs = 10_000) {
      await execa(runc, ['kill', id, 'TERM'], { reject: false });
      const timer = setTimeout(() => void execa(runc, ['kill', id, 'KILL'], { reject: false }), graceMs);
      await child;
      clearTimeout(timer);
      // `runc run` removes the container when its process exits; delete --force covers a failed start.
      await execa(runc, ['delete', '--force', id], { reject: false });
    },
  };
}
