/**
 * The README's first command, end to end: a fresh `flotilla up` serves every open HTTP function on
 * every node of both clusters, Argo CD reports every Application Synced and Healthy (and each
 * WasmFunction Healthy in the resource tree, from our Lua check); a second `up` reuses the fleet;
 * `flotilla down` leaves no process, port or temp dir behind. Config and state go to a temp HOME so
 * the user's own fleet and key are untouched (test/e2e/fleet-fixture.ts).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgoCdApi } from '../../devenv/fleet/argocd-api.ts';
import { getWithHost } from '../../devenv/fleet/http-probe.ts';
import type { FleetState } from '../../devenv/fleet/state.ts';
import { waitFor } from '../harness/index.ts';
import { loadKubeConfigFile } from '../../kube/index.ts';
import { nodesServing } from '../../devenv/fixtures/fleet.ts';
import { useFleet } from './fleet-fixture.ts';

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

function mentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('flotilla up / down', () => {
  // Down always runs after the file, even when a test failed: nothing may outlive the run.
  const up = useFleet();
  const flotilla = (args: string[]) => up.fleet.flotilla(args);

  beforeAll(() => {
    process.stderr.write(`flotilla up (fresh config dir, examples cache warm): ${(up.fleet.upMs / 1000).toFixed(1)} s\n`);
  });

  it('serves every open HTTP function on every node of both clusters', async () => {
    expect(up.state.phase).toBe('ready');
    expect(up.state.clusters?.map((c) => c.name)).toEqual(['edge-eu-west', 'edge-us-east']);
    for (const c of up.state.clusters ?? []) {
      // Two machines, each running one node runtime per pool (WasmRuntime) of its cluster.
      const runtimes = (await loadKubeConfigFile(c.kubeconfig).makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'flotilla.dev', version: 'v1alpha1', plural: 'wasmruntimes' })) as { items: { metadata: { name: string } }[] };
      const pools = runtimes.items.map((r) => r.metadata.name);
      expect(pools.length).toBeGreaterThan(0);
      expect(c.nodes.map((n) => `${n.name}/${n.pool}`).sort()).toEqual([1, 2].flatMap((i) => pools.map((p) => `${c.name}-node-${i}/${p}`)).sort());
      expect(c.functions.length).toBeGreaterThan(0);
      for (const f of c.functions) {
        // Every node of the pool answers: directly where the function runs, by forwarding elsewhere.
        // One scaled to zero runs nowhere until a request wakes it on the node that took it.
        const placed = (await nodesServing(c, f.name)).map((n) => n.node);
        const pool = await nodesServing(c, f.name, { all: true });
        expect(pool.length, `${c.name} ${f.name}`).toBeGreaterThan(0);
        for (const n of pool) {
          const res = await getWithHost(`${n.url}${f.path}`, n.host);
          expect(res.status, `${f.name} on ${n.node}: ${res.body}`).toBe(200);
          const servedBy = String(res.headers['x-flotilla-served-by']);
          if (placed.length > 0) expect(placed, `${f.name} asked on ${n.node}, served by ${servedBy}`).toContain(servedBy);
          if (placed.length > 0 && !placed.includes(n.node)) expect(res.headers['x-flotilla-forwarded-by'], `${f.name} on ${n.node}`).toBe(n.node);
        }
      }
    }
    // echo answers with what it was sent (the WAGI env of the request).
    const eu = up.state.clusters?.[0];
    const target = eu ? (await nodesServing(eu, 'echo'))[0] : undefined;
    const echo = await getWithHost(`${target?.url ?? ''}/`, target?.host ?? '');
    expect(echo.body).toContain('GET');
  });

  it('shows every Application Synced and Healthy, and every WasmFunction Healthy in the resource tree', async () => {
    const argocd = up.state.argocd;
    if (!argocd) throw new Error('expected Argo CD in the state');
    const api = new ArgoCdApi(argocd.url, { username: argocd.username, password: argocd.password });
    await waitFor(
      async () => {
        const apps = await api.applications();
        return apps.length === 2 && apps.every((a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy') ? true : undefined;
      },
      { what: 'both Applications Synced and Healthy', timeoutMs: 180_000, intervalMs: 1000, describe: async () => JSON.stringify((await api.applications()).map((a) => [a.metadata.name, a.status?.sync?.status, a.status?.health])) },
    );
    for (const c of up.state.clusters ?? []) {
      const fns = (await api.resourceTree(`flotilla-${c.name}`)).filter((r) => r.kind === 'WasmFunction');
      expect(fns.length).toBeGreaterThan(0);
      for (const f of fns) expect(f.health?.status, `${c.name} ${f.name}: ${f.health?.message ?? ''}`).toBe('Healthy');
    }
    const status = await flotilla(['status', '-o', 'json']);
    expect(status.exitCode, String(status.stderr)).toBe(0);
    const rows = (JSON.parse(String(status.stdout)) as { functions: { cluster: string; health: string; verified: string }[] }).functions;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.health === 'Healthy' && r.verified === 'True')).toBe(true);
  });

  it('reuses the running fleet on a second up', async () => {
    const t = performance.now();
    const again = await flotilla(['up']);
    const warmMs = performance.now() - t;
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(String(again.stderr)).toContain('already up');
    const now = JSON.parse(readFileSync(up.fleet.stateFile, 'utf8')) as FleetState;
    expect(now.supervisorPid).toBe(up.state.supervisorPid);
    process.stderr.write(`second flotilla up (reuse): ${(warmMs / 1000).toFixed(1)} s\n`);
  });

  it('down leaves no process, port or temp dir behind', async () => {
    const urls = [up.state.argocd?.url ?? '', ...(up.state.clusters ?? []).flatMap((c) => [c.server, ...c.nodes.map((n) => n.url)]), `http://${up.state.registry?.host ?? ''}`];
    for (const u of urls) expect(await portOpen(u), u).toBe(true);
    const down = await flotilla(['down']);
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect(existsSync(up.state.workDir)).toBe(false);
    expect(existsSync(up.fleet.stateFile)).toBe(false);
    expect(mentioning(up.state.workDir)).toEqual([]);
    for (const pid of [up.state.supervisorPid, ...up.state.pids]) expect(() => process.kill(pid, 0), `pid ${pid}`).toThrow();
    for (const u of urls) expect(await portOpen(u), u).toBe(false);
    const status = await flotilla(['status']);
    expect(status.exitCode).toBe(83);
    expect(String(status.stderr)).toContain('no local fleet is up');
  });
});
