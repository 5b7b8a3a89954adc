/**
 * containerd for one harness node: the CRI plugin with runc (cgroupfs: this kernel offers cgroup
 * v1), the overlayfs snapshotter, the node's CNI bridge, and plain-http pulls from the loopback
 * registries. Everything it keeps (root, state, sockets, runc state, network namespaces) lives
 * under the node's dir, and nothing it could share with a second containerd on this host (NRI's
 * socket in /var/run) is enabled, so several nodes run side by side.
 */
import { connect } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import { bridgeConflist, linkCniPlugins } from './cni.ts';
import type { PodNetwork } from './cni.ts';
import { HarnessError, logTail, startServer } from './process.ts';
import type { RunningServer } from './process.ts';

export interface ContainerdOptions {
  /** Node name: the log file and the CNI network are named after it. */
  readonly name: string;
  /** The node's own directory; containerd's state goes to `<dir>/containerd`. */
  readonly dir: string;
  readonly logDir: string;
  readonly network: PodNetwork;
  /** The pod sandbox image, e.g. the harness's pause image by digest. */
  readonly sandboxImage: string;
  /** `host:port` of registries served over plain http (the harness's loopback registries). */
  readonly httpRegistries: readonly string[];
  /** Registry name -> `host:port` served over plain http that answers for it (a site's pull-through mirror). @default none */
  readonly mirrors?: Readonly<Record<string, string>>;
  /** cgroup (v1 path) the runc shims move into, so stopping the node can find and kill them. */
  readonly shimCgroup: string;
}

export interface Containerd extends RunningServer {
  /** unix:///...: kubelet's `containerRuntimeEndpoint`. */
  readonly endpoint: string;
}

/** Paths under a node's containerd dir. */
export function containerdPaths(dir: string): { readonly socket: string; readonly config: string; readonly certsDir: string; readonly cniConfDir: string; readonly cniBinDir: string; readonly ipamDir: string } {
  const base = join(dir, 'containerd');
  return {
    socket: join(base, 'containerd.sock'),
    config: join(base, 'config.toml'),
    certsDir: join(base, 'certs.d'),
    cniConfDir: join(base, 'cni', 'net.d'),
    cniBinDir: join(base, 'cni', 'bin'),
    ipamDir: join(base, 'cni', 'ipam'),
  };
}

// TOML basic strings share JSON's escapes for the characters a path or image name can hold.
const q = (s: string): string => JSON.stringify(s);

/** containerd's config.toml (version 4, containerd 2.4) for a node (pure). */
export function containerdConfig(dir: string, opts: Pick<ContainerdOptions, 'sandboxImage' | 'shimCgroup'>): string {
  const base = join(dir, 'containerd');
  const p = containerdPaths(dir);
  return `version = 4
root = ${q(join(base, 'root'))}
state = ${q(join(base, 'state'))}
# The host's /etc/containerd/conf.d is not ours to read.
imports = []
# NRI listens on a fixed /var/run socket a second containerd would fight over; nodes need none of it.
disabled_plugins = ["io.containerd.nri.v1.nri"]

[plugins."io.containerd.server.v1.grpc"]
  address = ${q(p.socket)}

[plugins."io.containerd.server.v1.ttrpc"]
  address = ${q(`${p.socket}.ttrpc`)}

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = ${q(opts.sandboxImage)}
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = ${q(p.certsDir)}

# Pulls may go through the transfer service, which reads its own registry hosts dir.
[plugins."io.containerd.transfer.v1.local"]
  config_path = ${q(p.certsDir)}

[plugins."io.containerd.cri.v1.runtime"]
  enable_selinux = false
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  # This VM's capability bounding set lacks CAP_SYS_RESOURCE, so no process may lower its
  # oom_score_adj; kubelet asks -998 for sandboxes. Clamp to containerd's own score instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = ${q(toolPath('runc'))}
        Root = ${q(join(base, 'runc'))}
        SystemdCgroup = false
        ShimCgroup = ${q(opts.shimCgroup)}
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [${q(p.cniBinDir)}]
    conf_dir = ${q(p.cniConfDir)}
    max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
}

/** A registry hosts.toml that resolves and pulls `name`'s images from `mirror` over plain http, and never from `name` itself (pure). */
export function mirrorRegistryHosts(name: string, mirror: string): string {
  // override_path off: the mirror serves the usual /v2/ API. Only the mirror is a host, so a
  // mirror that lacks an image fails the pull instead of reaching out to `name`.
  return `server = ${q(`http://${mirror}`)}\n\n[host.${q(`http://${mirror}`)}]\n  capabilities = ["pull", "resolve"]\n`;
}

/** A registry hosts.toml that sends pulls for `host` over plain http (pure). */
export function httpRegistryHosts(host: string): string {
  return `server = ${q(`http://${host}`)}\n\n[host.${q(`http://${host}`)}]\n  capabilities = ["pull", "resolve"]\n`;
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Starts containerd for one node and waits until it has booted with the CRI plugin. */
export async function startContainerd(opts: ContainerdOptions): Promise<Containerd> {
  const p = containerdPaths(opts.dir);
  for (const d of [p.certsDir, p.cniConfDir, p.ipamDir]) mkdirSync(d, { recursive: true });
  linkCniPlugins(p.cniBinDir);
  writeFileSync(join(p.cniConfDir, '10-flotilla.conflist'), bridgeConflist(`flotilla-${opts.name}`, opts.network, p.ipamDir));
  for (const host of opts.httpRegistries) {
    mkdirSync(join(p.certsDir, host), { recursive: true });
    writeFileSync(join(p.certsDir, host, 'hosts.toml'), httpRegistryHosts(host));
  }
  for (const [name, mirror] of Object.entries(opts.mirrors ?? {})) {
    mkdirSync(join(p.certsDir, name), { recursive: true });
    writeFileSync(join(p.certsDir, name, 'hosts.toml'), mirrorRegistryHosts(name, mirror));
  }
  writeFileSync(p.config, containerdConfig(opts.dir, opts));
  const logFile = join(opts.logDir, `containerd-${opts.name}.log`);
  const server = await startServer({
    name: `containerd-${opts.name}`,
    command: toolPath('containerd'),
    args: ['--config', p.config, '--log-level', 'info'],
    logFile,
    // containerd starts its shim by name from PATH, and portmap runs iptables from it (a non-login
    // PATH may lack /usr/sbin); runc is named by absolute path in the config.
    env: { ...process.env, PATH: [dirname(toolPath('containerd-shim-runc-v2')), dirname(toolPath('iptables')), process.env['PATH'] ?? ''].join(':') },
    ready: async () => (await socketAnswers(p.socket)) && readFileSync(logFile, 'utf8').includes('containerd successfully booted'),
    timeoutMs: 60_000,
  });
  // A plugin that fails to load leaves containerd running without it; kubelet would then fail far from the cause.
  const failed = /failed to load plugin[^\n]*(io\.containerd\.(?:cri|grpc\.v1\.cri|snapshotter\.v1\.overlayfs)[^\n]*)/.exec(readFileSync(logFile, 'utf8'));
  if (failed) {
    await server.stop();
    throw new HarnessError(`containerd-${opts.name}: a plugin a node needs did not load (${failed[1]}); log ${logFile}:\n${logTail(logFile)}`);
  }
  return { ...server, endpoint: `unix://${p.socket}` };
}
