/**
 * A record per running harness node, outside any run's temp dir, so that a run which died before
 * its `stop()` (a killed test worker, a crashed runner) leaves nothing for the next one: its
 * containers keep running in their cgroups and its bridge keeps its /24 until someone removes
 * them. The next `startKubeNodes` on this host removes what belonged to dead processes.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteBridge } from './cni.ts';
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

/** Writes the record of a node this process is starting. */
export function recordNode(record: Omit<NodeRecord, 'pid'>): void {
  mkdirSync(recordsDir(), { recursive: true });
  writeFileSync(fileOf(record.cgroup), JSON.stringify({ pid: process.pid, ...record }));
}

/** Deletes a node's record once its stop() has cleaned up. */
export function forgetNode(cgroup: string): void {
  rmSync(fileOf(cgroup), { force: true });
}

/** Removes the cgroups, mounts, bridges and dirs of nodes whose owning process has died; returns their cgroups. */
export async function removeStaleNodes(): Promise<string[]> {
  let files: string[];
  try {
    files = readdirSync(recordsDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const f of files) {
    let record: NodeRecord;
    try {
      record = JSON.parse(readFileSync(join(recordsDir(), f), 'utf8')) as NodeRecord;
    } catch {
      continue; // being written by a live start
    }
    if (alive(record.pid)) continue;
    await removeCgroup(record.cgroup);
    unmountUnder(record.dir);
    deleteBridge(record.bridge);
    rmSync(record.dir, { recursive: true, force: true });
    forgetNode(record.cgroup);
    removed.push(record.cgroup);
  }
  return removed;
}
