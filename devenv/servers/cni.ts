/**
 * Pod networking of a harness node: a CNI bridge of its own with host-local IPAM over one /24,
 * and a directory holding the pinned plugins (each is built into its own tool dir; CRI wants one).
 * The bridge is the pods' gateway on the host, so the host reaches every pod IP directly, and its
 * address is the node's IP.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';

/** The CNI plugins a node uses; CRI itself invokes `loopback` for each pod's `lo`. */
export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'] as const;

export interface PodNetwork {
  /** Linux bridge name (≤ 15 characters). */
  readonly bridge: string;
  /** The node's pod range, a /24 such as `10.244.7.0/24`; its `.1` is the bridge's address. */
  readonly subnet: string;
}

/** The node's CNI network list: bridge + host-local IPAM, then portmap for hostPort pods (pure). */
export function bridgeConflist(name: string, net: PodNetwork, ipamDir: string): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name,
      plugins: [
        {
          type: 'bridge',
          bridge: net.bridge,
          isGateway: true,
          // No masquerade: pods talk to loopback servers and each other, never the internet.
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: net.subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** Links the pinned plugins into `dir` (one directory, as CRI's `bin_dirs` expects). */
export function linkCniPlugins(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const plugin of CNI_PLUGINS) symlinkSync(toolPath(plugin), join(dir, plugin));
}

/** The /24s of 10.244.0.0/16 already on a host interface, from `ip -o -4 addr` text (pure). */
export function usedPodSubnets(ipAddrText: string): Set<number> {
  return new Set([...ipAddrText.matchAll(/inet 10\.244\.(\d+)\.\d+\//g)].map((m) => Number(m[1])));
}

/**
 * A pod network no bridge on this host uses yet: another run (or engineer) may have nodes up, and
 * two bridges with one subnet would route each other's pods away.
 */
export function freePodNetwork(taken: ReadonlySet<number> = new Set()): PodNetwork {
  const used = usedPodSubnets(execFileSync('ip', ['-o', '-4', 'addr'], { encoding: 'utf8' }));
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((n) => !used.has(n) && !taken.has(n));
  const pick = free[Math.floor(Math.random() * free.length)];
  if (pick === undefined) throw new Error('pod network: every /24 of 10.244.0.0/16 is in use on this host; stop old harness nodes (ip -o -4 addr | grep 10.244)');
  return { bridge: `flo${pick.toString(16).padStart(2, '0')}${Math.random().toString(16).slice(2, 8)}`, subnet: `10.244.${pick}.0/24` };
}

/** The node's own address: the bridge's `.1`, the pods' gateway (pure). */
export function nodeAddress(net: PodNetwork): string {
  return net.subnet.replace(/\.0\/24$/, '.1');
}

/**
 * Creates the node's bridge with its address before any pod exists (CNI would only on the first
 * pod, and finds it then): kubelet needs a node IP that is not loopback, one per node.
 */
export function createBridge(net: PodNetwork): void {
  const ip = (args: readonly string[]): void => {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  ip(['link', 'add', net.bridge, 'type', 'bridge']);
  ip(['addr', 'add', `${nodeAddress(net)}/24`, 'dev', net.bridge]);
  ip(['link', 'set', net.bridge, 'up']);
}

/** Deletes the node's bridge. */
export function deleteBridge(bridge: string): void {
  try {
    execFileSync('ip', ['link', 'del', bridge], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if (!/Cannot find device/.test(String((err as { stderr?: Buffer }).stderr ?? ''))) throw new Error(`ip link del ${bridge} failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`, { cause: err });
  }
}
