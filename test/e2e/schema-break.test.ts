/**
 * A commit that breaks a schema rule: Argo CD's sync fails with the API server's own message for the
 * offending field, read back over Argo CD's API, and nothing running changes (the live object keeps
 * its value, every node keeps serving); the same for a commit over the pool's ceiling, refused by the
 * admission policy Argo CD synced with the CRDs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ArgoCdApi } from '../../devenv/fleet/argocd-api.ts';
import { commitAndRefresh } from '../../devenv/fleet/commit.ts';
import { getWithHost } from '../../devenv/fleet/http-probe.ts';
import { waitFor } from '../harness/index.ts';
import { loadKubeConfigFile } from '../../kube/index.ts';
import { nodesServing } from '../../devenv/fixtures/fleet.ts';
import { useFleet } from './fleet-fixture.ts';

type SyncResource = { kind: string; name: string; status?: string; message?: string };

describe('a commit that breaks a schema rule', () => {
  const up = useFleet();

  /** Argo CD's report on echo in cluster `name` once it says `what` (a refusal by the API server). */
  async function refusalOfEcho(api: ArgoCdApi, name: string, what: string): Promise<string> {
    return waitFor(
      async () => {
        const app = (await api.applications()).find((a) => a.metadata.name === `flotilla-${name}`);
        const condition = app?.status?.conditions?.find((x) => /ComparisonError|SyncError/.test(x.type) && x.message.includes('echo'));
        const result = (app?.status?.operationState as { syncResult?: { resources?: SyncResource[] } } | undefined)?.syncResult?.resources?.find((r) => r.kind === 'WasmFunction' && r.name === 'echo' && r.status === 'SyncFailed');
        const message = condition?.message ?? result?.message;
        return message?.includes(what) ? message : undefined;
      },
      { what: `Argo CD to report the refused echo in flotilla-${name} (${what})`, timeoutMs: 120_000, intervalMs: 1000 },
    );
  }

  it("fails Argo CD's sync with the API server's message and changes nothing running", async () => {
    const argocd = up.state.argocd;
    if (!argocd || !up.state.git) throw new Error('expected Argo CD and git in the state');
    for (const c of up.state.clusters ?? []) {
      const file = join(up.state.git.repoDir, 'gitops', 'clusters', c.name, 'wasmfunction_functions_echo.yaml');
      const text = await readFile(file, 'utf8');
      expect(text).toContain('memoryPages: 64');
      await writeFile(file, text.replace('memoryPages: 64', 'memoryPages: 0'));
    }
    await commitAndRefresh(up.state, 'echo: memoryPages 0 (breaks the schema)');

    const api = new ArgoCdApi(argocd.url, { username: argocd.username, password: argocd.password });
    for (const c of up.state.clusters ?? []) {
      // With server-side apply Argo CD dry-runs the apply to diff, so the API server's refusal shows
      // as a ComparisonError condition before any sync; a sync that ran would report SyncFailed.
      // The API server's words for the rule the CRD carries.
      const message = await refusalOfEcho(api, c.name, 'should be greater than or equal to 1');
      expect(message).toContain('spec.limits.memoryPages');
    }

    for (const c of up.state.clusters ?? []) {
      const fn = (await loadKubeConfigFile(c.kubeconfig).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'flotilla.dev', version: 'v1alpha1', namespace: 'functions', plural: 'wasmfunctions', name: 'echo' })) as { spec: { limits: { memoryPages: number } } };
      expect(fn.spec.limits.memoryPages).toBe(64);
      for (const n of await nodesServing(c, 'echo')) expect((await getWithHost(`${n.url}/`, n.host)).status, n.node).toBe(200);
    }
  });

  it("a commit over the pool's ceiling fails Argo CD's sync with the admission policy's message and changes nothing running", async () => {
    const argocd = up.state.argocd;
    if (!argocd || !up.state.git) throw new Error('expected Argo CD and git in the state');
    for (const c of up.state.clusters ?? []) {
      const file = join(up.state.git.repoDir, 'gitops', 'clusters', c.name, 'wasmfunction_functions_echo.yaml');
      const text = await readFile(file, 'utf8');
      // Within the schema (1..65536), above every pool's ceiling: only the ValidatingAdmissionPolicy Argo CD synced refuses it.
      await writeFile(file, text.replace(/memoryPages: \d+/, 'memoryPages: 65536'));
    }
    await commitAndRefresh(up.state, 'echo: memoryPages 65536 (over the pool ceiling)');

    const api = new ArgoCdApi(argocd.url, { username: argocd.username, password: argocd.password });
    for (const c of up.state.clusters ?? []) {
      const message = await refusalOfEcho(api, c.name, 'exceeds WasmRuntime');
      expect(message).toContain('spec.limits.memoryPages 65536 exceeds WasmRuntime functions/default spec.ceilings.memoryPages');
    }
    for (const c of up.state.clusters ?? []) {
      const fn = (await loadKubeConfigFile(c.kubeconfig).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'flotilla.dev', version: 'v1alpha1', namespace: 'functions', plural: 'wasmfunctions', name: 'echo' })) as { spec: { limits: { memoryPages: number } } };
      expect(fn.spec.limits.memoryPages).toBe(64);
      for (const n of await nodesServing(c, 'echo')) expect((await getWithHost(`${n.url}/`, n.host)).status, n.node).toBe(200);
    }
  });
});
