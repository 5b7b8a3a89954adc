/**
 * Cleanup after a killed run: a child process starts a kube node with a running pod and a nat
 * rule and is SIGKILLed (a real killed run, nothing faked); the next removeStaleNodes (which every
 * startKubeNodes and route runs first) kills the orphaned containers, shims, containerd and kubelet and
 * removes their cgroups, the mounts under the node dir, the bridge, the dir and the rule. Another
 * engineer's live nodes are untouched: only records whose owner process is dead are acted on.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStaleNodes } from '../../devenv/servers/stale-nodes.ts';
import type { NodeRecord, RouteRecord } from '../../devenv/servers/stale-nodes.ts';
import { toolPath } from '../../devenv/tools/paths.ts';
import { harness, kubectl, uniqueName, waitFor } from '../harness/index.ts';

const CHILD = join(import.meta.dirname, 'children/killed-node.ts');
const RECORDS = join(tmpdir(), 'flotilla-kube-nodes');

function recordsOf(pid: number): { nodes: NodeRecord[]; routes: RouteRecord[] } {
  const all = readdirSync(RECORDS).filter((f) => f.endsWith('.json')).map((f) => ({ f, r: JSON.parse(readFileSync(join(RECORDS, f), 'utf8')) as { pid: number } }));
  const mine = all.filter((x) => x.r.pid === pid);
  return { nodes: mine.filter((x) => !x.f.startsWith('route-')).map((x) => x.r as NodeRecord), routes: mine.filter((x) => x.f.startsWith('route-')).map((x) => x.r as RouteRecord) };
}
/** Running: the process exists and is not a zombie (a killed orphan stays one until init reaps it). */
const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const cgroupDirs = (cgroup: string) => ['cpu', 'memory', 'pids', 'cpuset'].map((h) => join('/sys/fs/cgroup', h, cgroup)).filter((d) => existsSync(d));
const pidsIn = (cgroup: string) => readFileSync(join('/sys/fs/cgroup/pids', cgroup, 'daemons', 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(`${dir}/`));
const bridgeExists = (bridge: string) => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(`${bridge}:`);
const ruleExists = (rule: readonly string[]) => {
  try {
    execFileSync(toolPath('iptables'), ['-w', '-t', 'nat', '-C', 'OUTPUT', ...rule], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('a harness run killed with SIGKILL', () => {
  const name = uniqueName('killed');
  afterAll(async () => {
    await kubectl(harness().kube.kubeconfig, ['delete', 'node', name, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await kubectl(harness().kube.kubeconfig, ['-n', 'default', 'delete', 'pod', name, '--ignore-not-found', '--wait=false', '--force', '--grace-period=0']).catch(() => undefined);
  });

  it('leaves containers, daemons, cgroups, mounts, a bridge and a nat rule, which the next start removes', async () => {
    const child = spawn(process.execPath, [CHILD, name], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_HARNESS: JSON.stringify(harness()) } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(() => Promise.resolve(output.includes('ready\n') ? true : child.exitCode !== null ? Promise.reject(new Error(`child exited:\n${output}`)) : undefined), { what: 'the child to start its node, pod and rule', timeoutMs: 300_000, describe: () => Promise.resolve(output.slice(-3000)) });
    const pid = child.pid!;
    const { nodes, routes } = recordsOf(pid);
    expect(nodes).toHaveLength(1);
    expect(routes).toHaveLength(1);
    const [node, route] = [nodes[0]!, routes[0]!];
    const daemons = pidsIn(node.cgroup);
    const shims = readFileSync(join('/sys/fs/cgroup/pids', node.cgroup, 'shims', 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

    child.kill('SIGKILL');
    await exited;
    // What a killed run leaves: its daemons (kubelet, containerd) and shims run on, with everything they hold.
    expect(daemons.length).toBeGreaterThanOrEqual(2);
    expect(shims.length).toBeGreaterThanOrEqual(1);
    expect([...daemons, ...shims].every(running)).toBe(true);
    expect(cgroupDirs(node.cgroup).length).toBeGreaterThan(0);
    expect(mountsUnder(node.dir).length).toBeGreaterThan(0);
    expect(bridgeExists(node.bridge)).toBe(true);
    expect(ruleExists(route.rule)).toBe(true);

    const t0 = performance.now();
    const removed = await removeStaleNodes();
    process.stderr.write(`stale-nodes: removed ${removed.join(', ')} in ${Math.round(performance.now() - t0)} ms\n`);
    expect(removed).toEqual(expect.arrayContaining([node.cgroup, route.comment]));
    expect([...daemons, ...shims].filter(running)).toEqual([]);
    expect(cgroupDirs(node.cgroup)).toEqual([]);
    expect(mountsUnder(node.dir)).toEqual([]);
    expect(bridgeExists(node.bridge)).toBe(false);
    expect(existsSync(node.dir)).toBe(false);
    expect(ruleExists(route.rule)).toBe(false);
    expect(recordsOf(pid)).toEqual({ nodes: [], routes: [] });
  });
});
