/**
 * An edge cluster's control plane goes away and comes back: its kube-apiserver is killed (etcd
 * keeps its data), stays down past the node Lease duration, and is started again with the same
 * command line. Meanwhile the cluster's nodes keep serving what they were assigned (they do not need
 * the API server to execute), and afterwards Argo CD's Application for the cluster recovers to
 * Synced/Healthy and the operator sees every function Ready again, without a failed request.
 */
import { spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ArgoCdApi } from '../../devenv/fleet/argocd-api.ts';
import { getWithHost } from '../../devenv/fleet/http-probe.ts';
import type { ClusterState, FleetState } from '../../devenv/fleet/state.ts';
import { waitFor } from '../harness/index.ts';
import { loadKubeConfigFile } from '../../kube/index.ts';
import { nodesServing } from '../../devenv/fixtures/fleet.ts';
import { useFleet } from './fleet-fixture.ts';

/** Longer than the node Lease (10 s): the nodes' heartbeats fail for a whole lease and more. */
const OUTAGE_MS = 20_000;

interface Captured {
  readonly pid: number;
  readonly argv: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** The kube-apiserver process serving `cluster` (its command line names the cluster's work dir). */
function apiServerOf(state: FleetState, cluster: ClusterState): Captured {
  const dir = join(state.workDir, cluster.name, 'kube');
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
      if (!argv[0]?.endsWith('/kube-apiserver') || !argv.some((a) => a.includes(dir))) continue;
      const env = Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      return { pid, argv, env, cwd: readlinkSync(`/proc/${pid}/cwd`) };
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no kube-apiserver process naming ${dir}`);
}

/** True when nothing listens on `url`'s port any more (ECONNREFUSED); a TLS or HTTP error would not tell. */
function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('an edge cluster whose API server stops and restarts', () => {
  // `down` at the end also stops the restarted API server: its command line names the fleet's work dir.
  const up = useFleet();

  it('keeps serving through the outage, and its Application recovers to Synced/Healthy', async () => {
    const argocd = up.state.argocd;
    const cluster = up.state.clusters?.find((c) => c.name === 'edge-us-east');
    if (!argocd || !cluster) throw new Error('expected Argo CD and edge-us-east in the fleet state');
    const api = new ArgoCdApi(argocd.url, { username: argocd.username, password: argocd.password });
    const app = `flotilla-${cluster.name}`;
    const targets = await nodesServing(cluster, 'echo');
    expect(targets.length).toBeGreaterThan(0);

    // Requests to every node running echo, from before the kill until the cluster has recovered.
    const failures: string[] = [];
    let requests = 0;
    let hammering = true;
    const hammer = (async () => {
      while (hammering) {
        for (const t of targets) {
          requests++;
          const res = await getWithHost(`${t.url}/`, t.host).catch((err: unknown) => ({ status: 0, body: String(err) }));
          if (res.status !== 200) failures.push(`${new Date().toISOString()} ${t.node}: ${res.status} ${res.body.slice(0, 160)}`);
        }
        await sleep(20);
      }
    })();

    const apiserver = apiServerOf(up.state, cluster);
    const killedAt = Date.now();
    process.kill(apiserver.pid, 'SIGKILL');
    await waitFor(async () => ((await refusesConnections(cluster.server)) ? true : undefined), { what: `${cluster.server} to refuse connections`, timeoutMs: 10_000 });
    await sleep(OUTAGE_MS);
    const servedDuringOutage = requests;

    // Same binary, flags, certificates, port and etcd: what a supervisor (systemd, a static pod) does.
    const log = openSync(join(up.state.logDir, cluster.name, 'kube-apiserver-restarted.log'), 'a');
    const restarted = spawn(apiserver.argv[0] ?? '', apiserver.argv.slice(1), { env: apiserver.env, cwd: apiserver.cwd, stdio: ['ignore', log, log], detached: true });
    restarted.unref();
    const kc = loadKubeConfigFile(cluster.kubeconfig);
    await waitFor(async () => ((await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'flotilla.dev', version: 'v1alpha1', plural: 'wasmfunctions' }).then(() => true, () => false)) ? true : undefined), {
      what: `${cluster.server} to answer again`,
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const backAt = Date.now();

    // Argo CD reconnects and reports the cluster Synced and Healthy again.
    await waitFor(
      async () => {
        await api.refresh(app);
        const a = (await api.applications()).find((x) => x.metadata.name === app);
        return a?.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy' ? true : undefined;
      },
      { what: `${app} Synced and Healthy after the restart`, timeoutMs: 180_000, intervalMs: 2000, describe: async () => JSON.stringify((await api.applications()).find((x) => x.metadata.name === app)?.status) },
    );
    const recoveredMs = Date.now() - backAt;
    // And the operator, reconnected, sees every function Ready (the nodes re-registered and report them Loaded).
    await waitFor(
      async () => {
        const list = (await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'flotilla.dev', version: 'v1alpha1', plural: 'wasmfunctions' })) as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
        return list.items.length > 0 && list.items.every((f) => f.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined;
      },
      { what: 'every WasmFunction Ready after the restart', timeoutMs: 60_000, intervalMs: 1000 },
    );
    // A little longer: a node dropped after the restart would show up here.
    await sleep(5000);
    hammering = false;
    await hammer;
    process.stderr.write(
      `apiserver outage ${((backAt - killedAt) / 1000).toFixed(1)} s; Application Synced/Healthy ${(recoveredMs / 1000).toFixed(1)} s after it answered again; ${requests} requests (${servedDuringOutage} by the end of the outage), ${failures.length} failed\n`,
    );
    expect(servedDuringOutage).toBeGreaterThan(targets.length * 10);
    expect(failures).toEqual([]);
    // The operator did not evict the nodes it could not hear: echo stayed where it was.
    expect((await nodesServing(cluster, 'echo')).map((t) => t.node)).toEqual(targets.map((t) => t.node));
  });
});
