/**
 * The GitOps loop for real: a commit that moves echo to a new signed digest reaches every node of
 * both clusters (each node reports the new digest Loaded to the operator, which marks it Ready), and
 * a client hammering echo on every node during the roll never sees a failed request.
 */
import { CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { commitAndRefresh } from '../../devenv/fleet/commit.ts';
import { getWithHost } from '../../devenv/fleet/http-probe.ts';
import { waitFor } from '../harness/index.ts';
import { loadKubeConfigFile } from '../../kube/index.ts';
import { nodesServing, pointEchoAt, pushEcho } from '../../devenv/fixtures/fleet.ts';
import { useFleet } from './fleet-fixture.ts';

describe('a commit bumping a digest', () => {
  const up = useFleet();

  it('is served by every node of every cluster with no failed request during the roll', async () => {
    const { repository, digest } = await pushEcho(up.state, true);
    // Every node of echo's pool: the ones running it, and the ones forwarding to them.
    const targets = (await Promise.all((up.state.clusters ?? []).map((c) => nodesServing(c, 'echo', { all: true })))).flat();
    expect(targets.length, "nodes of echo's pool in both clusters").toBe(4);
    let failures: string[] = [];
    let requests = 0;
    let hammering = true;
    const hammer = (async () => {
      while (hammering) {
        await Promise.all(
          targets.map(async (t) => {
            requests++;
            const r = await getWithHost(`${t.url}/`, t.host).catch((e: unknown) => ({ status: 0, body: String(e) }));
            if (r.status !== 200) failures = [...failures, `${t.url} ${r.status} ${r.body.slice(0, 200)}`];
          }),
        );
      }
    })();

    const t = performance.now();
    await pointEchoAt(up.state, `${repository}@${digest}`);
    await commitAndRefresh(up.state, `echo -> ${digest}`);

    for (const c of up.state.clusters ?? []) {
      const kc = loadKubeConfigFile(c.kubeconfig);
      const crd = kc.makeApiClient(CustomObjectsApi);
      const leases = kc.makeApiClient(CoordinationV1Api);
      await waitFor(
        async () => {
          const fn = (await crd.getNamespacedCustomObject({ group: 'flotilla.dev', version: 'v1alpha1', namespace: 'functions', plural: 'wasmfunctions', name: 'echo' })) as { status?: { resolvedDigest?: string; conditions?: { type: string; status: string }[] } };
          if (fn.status?.resolvedDigest !== digest || !fn.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) return undefined;
          // Every node that runs echo reports the new digest Loaded, none the old one.
          const reports = (await leases.listNamespacedLease({ namespace: 'functions' })).items.map((l) => JSON.parse(l.metadata?.annotations?.['flotilla.dev/function-status'] ?? '{}') as Record<string, { digest: string; state: string }>);
          const echo = reports.map((r) => r['functions/echo']).filter((r) => r !== undefined);
          return echo.length > 0 && echo.every((r) => r.digest === digest && r.state === 'Loaded') ? true : undefined;
        },
        { what: `echo on ${c.name} to serve ${digest} on every node`, timeoutMs: 180_000, intervalMs: 500 },
      );
    }
    const rollMs = performance.now() - t;
    hammering = false;
    await hammer;
    process.stderr.write(`commit -> new digest Ready on every node of both clusters: ${(rollMs / 1000).toFixed(1)} s; ${requests} requests during the roll, ${failures.length} failed\n`);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(targets.length);
    // Every node of the pool now answers with the new module, whether it runs echo or forwards to a node that does.
    for (const target of targets) expect((await getWithHost(`${target.url}/`, target.host)).headers['x-flotilla-digest'], target.node).toBe(digest);
  });
});
