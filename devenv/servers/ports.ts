/**
 * Who holds a TCP port, read from Linux's /proc. Ports are picked free and bound later by another
 * process, so a port can be taken in between; then a readiness probe may be answered by the taker,
 * and the server's own log is the only one that says "address already in use". These let
 * startServer tell the two apart and name the port and its holder.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TCP_LISTEN = '0A';

/** Inodes of the sockets listening on `port` (any local address) in /proc/net/tcp{,6} text (pure). */
export function listeningInodes(tables: readonly string[], port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out = new Set<string>();
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const f = line.trim().split(/\s+/);
      if (f[3] === TCP_LISTEN && f[1]?.endsWith(`:${hexPort}`) && f[9] !== undefined) out.add(f[9]);
    }
  }
  return out;
}

/**
 * The address a server's log says it could not bind because it was in use, when it says so (pure).
 * Covers Go's net package (etcd, kube, registry, nats, argocd), Node (EADDRINUSE), redis and git daemon.
 */
export function addressInUse(log: string): string | undefined {
  const lines = log.split('\n');
  const line = lines.find((l) => /address already in use|EADDRINUSE/i.test(l));
  if (line === undefined) return undefined;
  const addresses = [...line.matchAll(/(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|localhost):(\d{1,5})\b/gi)].map((m) => m[0]);
  if (addresses.length > 0) return addresses[addresses.length - 1];
  // git daemon names the host on one line and the port on the next.
  const port = lines.map((l) => /listen sockets (?:for host (\S+) )?on port (\d+)/.exec(l)).find((m) => m !== null);
  return port ? `${port[1] ?? '127.0.0.1'}:${port[2] ?? ''}` : 'its port';
}

function tcpTables(): string[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].map((f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  });
}

function socketInodes(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** The process group of a /proc/<pid>/stat line (pure): the fifth field, counted after the `(comm)` that may hold spaces. */
export function processGroupOf(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  return Number.isInteger(pgrp) ? pgrp : undefined;
}

function groupMembers(pgid: number): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) return [];
    try {
      return processGroupOf(readFileSync(`/proc/${pid}/stat`, 'utf8')) === pgid ? [pid] : [];
    } catch {
      return [];
    }
  });
}

/**
 * True when a process of group `pgid` holds a socket listening on `port`: the group, not the
 * leader alone, since some servers listen in a child (`git daemon` runs git-daemon and waits on it).
 */
export function groupListensOn(pgid: number, port: number): boolean {
  const inodes = listeningInodes(tcpTables(), port);
  if (inodes.size === 0) return false;
  return groupMembers(pgid).some((pid) => socketInodes(pid).some((i) => inodes.has(i)));
}

/** The process listening on `port`, when it can be seen (for error messages: scans every process). */
export function portHolder(port: number): { readonly pid: number; readonly command: string } | undefined {
  const inodes = listeningInodes(tcpTables(), port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || !socketInodes(pid).some((i) => inodes.has(i))) continue;
    let command = '?';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120);
    } catch {
      // gone meanwhile
    }
    return { pid, command };
  }
  return undefined;
}
