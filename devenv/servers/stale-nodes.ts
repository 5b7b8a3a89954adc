/**
 * A record per running harness node, outside any run's temp dir, so that a run which died before
 * its `stop()` (a killed test worker, a crashed runner) leaves nothing for the next one: its
 * containers keep running in their cgroups and its bridge keeps its /24 until someone removes
 * them. The next `startKubeNodes` on this host removes what belonged to dead processes.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { deleteBridge } from './cni.ts';
import { toolPath } from '../tools/paths.ts';
import { removeCgroup, unmountUnder } from './node-host.ts';
import { alive } from '../tools/lock.ts';

/** What a node holds on the host, and the process that owns it. */
export interface NodeRecord {
  readonly pid: number;
  readonly cgroup: string;
  readonly dir: string;
  readonly bridge: string;
}

function recordsDir(): string {
  return join(tmpdir(), 'flotilla-kube-nodes');
}

function fileOf(cgroup: string): string {
  return join(recordsDir(), `${cgroup.replace(/^\//, '')}.json`);
}

/** A nat OUTPUT rule this process added (devenv/servers/kubernetes-service.ts), by its unique comment. */
export interface RouteRecord {
  readonly pid: number;
  readonly comment: string;
  /** The rule's iptables arguments after the chain, as added. */
  readonly rule: readonly string[];
}

function routeFile(comment: string): string {
  return join(recordsDir(), `route-${comment}.json`);
}

/** Writes the record of a nat rule this process is about to add. */
export function recordRoute(comment: string, rule: readonly string[]): void {
  mkdirSync(recordsDir(), { recursive: true });
  writeFileSync(routeFile(comment), JSON.stringify({ pid: process.pid, comment, rule }));
}

/** Deletes a rule's record once the rule is gone. */
export function forgetRoute(comment: string): void {
  rmSync(routeFile(comment), { force: true });
}

/** Writes the record of a node this process is starting. */
export function recordNode(record: Omit<NodeRecord, 'pid'>): void {
  mkdirSync(recordsDir(), { recursive: true });
  writeFileSync(fileOf(record.cgroup), JSON.stringify({ pid: process.pid, ...record }));
}

/** Deletes a node's record once its stop() has cleaned up. */
export function forgetNode(cgroup: string): void {
  rmSync(fileOf(cgroup), { force: true });
}

/** Removes the cgroups (and the containers, shims and daemons in them), mounts, bridges, dirs and nat rules of nodes and routes whose owning process has died; returns their cgroups and rule comments. */
export async function removeStaleNodes(): Promise<string[]> {
  let files: string[];
  try {
    files = readdirSync(recordsDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const f of files.filter((name) => name.startsWith('route-'))) {
    const route = readRecord<RouteRecord>(f);
    if (route === undefined || alive(route.pid)) continue;
    // -C first: a rule already gone (its run got as far as removing it) is not an error.
    const present = await execa(toolPath('iptables'), ['-w', '-t', 'nat', '-C', 'OUTPUT', ...route.rule], { reject: false });
    if (present.exitCode === 0) await execa(toolPath('iptables'), ['-w', '-t', 'nat', '-D', 'OUTPUT', ...route.rule]);
    forgetRoute(route.comment);
    removed.push(route.comment);
  }
  for (const f of files.filter((name) => !name.startsWith('route-'))) {
    const record = readRecord<NodeRecord>(f);
    if (record === undefined || alive(record.pid)) continue;
    await removeCgroup(record.cgroup);
    unmountUnder(record.dir);
    deleteBridge(record.bridge);
    rmSync(record.dir, { recursive: true, force: true });
    forgetNode(record.cgroup);
    removed.push(record.cgroup);
  }
  return removed;
}

/** One record file, or undefined while a live start is still writing it. */
function readRecord<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(recordsDir(), file), 'utf8')) as T;
  } catch {
    return undefined;
  }
}
