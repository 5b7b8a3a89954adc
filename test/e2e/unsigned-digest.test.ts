/**
 * Verify before execute, through the whole loop: a commit pointing echo at an unsigned digest is
 * never executed on any node, the previous version keeps serving, the operator reports
 * SignatureVerified=False (NoSignature) and Argo CD shows echo Degraded with that message, computed
 * by our Lua health check and read back from the resource tree.
 */
import { CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ArgoCdApi } from '../../devenv/fleet/argocd-api.ts';
import { commitAndRefresh } from '../../devenv/fleet/commit.ts';
import { getWithHost } from '../../devenv/fleet/http-probe.ts';
import { waitFor } from '../harness/index.ts';
import { loadKubeConfigFile } from '../../kube/index.ts';
import { nodesServing, pointEchoAt, pushEcho } from '../../devenv/fixtures/fleet.ts';
import { useFleet } from './fleet-fixture.ts';

type Condition = { type: string; status: string; reason: string; message: string };

describe('a commit pointing at an unsigned digest', () => {
  const up = useFleet();

  it('is never executed, the previous version keeps serving, and Argo CD shows echo Degraded', async () => {
    const argocd = up.state.argocd;
    if (!argocd) throw new Error('expected Argo CD in the state');
    const { repository, digest } = await pushEcho(up.state, false);
    // Every node of echo's pool: the ones running it, and the ones forwarding to them.
    const targets = (await Promise.all((up.state.clusters ?? []).map((c) => nodesServing(c, 'echo', { all: true })))).flat();
    expect(targets.length, "nodes of echo's pool in both clusters").toBe(4);

    await pointEchoAt(up.state, `${repository}@${digest}`);
    await commitAndRefresh(up.state, `echo -> unsigned ${digest}`);

    const api = new ArgoCdApi(argocd.url, { username: argocd.username, password: argocd.password });
    for (const c of up.state.clusters ?? []) {
      const crd = loadKubeConfigFile(c.kubeconfig).makeApiClient(CustomObjectsApi);
      const verified = await waitFor(
        async () => {
          const fn = (await crd.getNamespacedCustomObject({ group: 'flotilla.dev', version: 'v1alpha1', namespace: 'functions', plural: 'wasmfunctions', name: 'echo' })) as { spec: { module: { ref: string } }; status?: { conditions?: Condition[] } };
          if (!fn.spec.module.ref.endsWith(digest)) return undefined;
          const cond = fn.status?.conditions?.find((x) => x.type === 'SignatureVerified');
          return cond?.status === 'False' ? cond : undefined;
        },
        { what: `SignatureVerified=False on ${c.name}`, timeoutMs: 120_000, intervalMs: 500 },
      );
      expect(verified.reason).toBe('NoSignature');
      const node = await waitFor(
        async () => {
          const n = (await api.resourceTree(`flotilla-${c.name}`)).find((r) => r.kind === 'WasmFunction' && r.name === 'echo');
          return n?.health?.status === 'Degraded' ? n : undefined;
        },
        { what: `echo Degraded in ${c.name}'s resource tree`, timeoutMs: 120_000, intervalMs: 1000 },
      );
      expect(node.health?.message).toContain('SignatureVerified False (NoSignature)');
    }

    // The previous, signed version keeps answering on every node, and no node ever loaded the unsigned one.
    for (const t of targets) {
      const res = await getWithHost(`${t.url}/`, t.host);
      expect(res.status, `${t.node}: ${res.body}`).toBe(200);
      expect(res.headers['x-flotilla-digest'], t.node).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(res.headers['x-flotilla-digest'], t.node).not.toBe(digest);
    }
    // No node reports the unsigned digest at all: the operator never assigned it.
    for (const c of up.state.clusters ?? []) {
      const leases = await loadKubeConfigFile(c.kubeconfig).makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: 'functions' });
      for (const l of leases.items) expect(l.metadata?.annotations?.['flotilla.dev/function-status'] ?? '', l.metadata?.name).not.toContain(digest);
    }
  });
});
