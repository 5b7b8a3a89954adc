// Our Lua health checks inside the real Argo CD (gopher-lua): argocd-cm carries the scripts under
// the keys gitops/argocd/ renders, and the health Argo CD reports for a synced WasmFunction follows
// the conditions the operator writes, with the condition message.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../../constructs/index.ts';
import { KINDS, crdFor } from '../../../api/index.ts';
import type { Condition } from '../../../api/index.ts';
import { MODULE_REF } from '../../../api/testdata/bad-inputs.ts';
import { healthCustomizations } from '../../../constructs/argocd/health-checks.ts';
import { WasmFunction } from '../../../constructs/index.ts';
import { createTestNamespace, harness, kubectl, logTail, startArgoCd, startGitServer, uniqueName, waitFor } from '../../harness/index.ts';
import type { ArgoCd, GitServer, TestNamespace } from '../../harness/index.ts';
import { toolDir, toolPath } from '../../../devenv/tools/paths.ts';

interface ResourceStatus {
  kind: string;
  name: string;
  health?: { status?: string; message?: string };
}

const k = (args: readonly string[], input?: string) => kubectl(harness().kube.kubeconfig, args, input);

// startArgoCd runs `kubectl wait --for=condition=Established` right after creating Argo CD's CRDs,
// which fails while their status is still empty; installing them first (same files) avoids the race.
async function preinstallArgoCrds(): Promise<void> {
  const dir = join(toolDir('argocd'), 'crds');
  const crds = readdirSync(dir).filter((f) => f.endsWith('-crd.yaml'));
  await k(['apply', '--server-side', '--force-conflicts', '--field-manager=flotilla-harness', '-f', '-'], crds.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n---\n'));
  for (const name of ['applications', 'appprojects', 'applicationsets']) {
    await waitFor(async () => ((await k(['get', `crd/${name}.argoproj.io`, '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}'])) === 'True' ? true : undefined), {
      what: `CRD ${name}.argoproj.io Established`,
      timeoutMs: 60_000,
    });
  }
}

describe('Argo CD health of a WasmFunction', () => {
  let argo: ArgoCd;
  let git: GitServer;
  let ns: TestNamespace;
  const app = uniqueName('flotilla-health');
  const gitRoot = mkdtempSync(join(tmpdir(), 'flotilla-health-git-'));

  beforeAll(async () => {
    ns = await createTestNamespace('api-argo-health');
    await k(['apply', '--server-side', '--force-conflicts', '--field-manager=flotilla-api-test', '-f', '-'], KINDS.map((d) => JSON.stringify(crdFor(d))).join('\n---\n'));
    await k(['wait', '--for=condition=Established', '--timeout=60s', ...KINDS.map((d) => `crd/${d.plural}.flotilla.dev`)]);

    // The repository holds one function, rendered by our construct.
    const chart = Testing.chart();
    new WasmFunction(chart, 'probe', { module: MODULE_REF });
    const repo = join(gitRoot, 'fleet.git');
    mkdirSync(repo);
    const runGit = (...args: string[]): string => execFileSync(toolPath('git'), args, { cwd: repo, encoding: 'utf8' });
    runGit('init', '--quiet', '--initial-branch=main');
    writeFileSync(join(repo, 'probe.yaml'), Testing.synth(chart).map((o) => stringify(o)).join('---\n'));
    runGit('add', '.');
    runGit('-c', 'user.name=Flotilla Test', '-c', 'user.email=test@flotilla.invalid', 'commit', '--quiet', '-m', 'probe function');

    await preinstallArgoCrds();
    [argo, git] = await Promise.all([startArgoCd({ kubeconfig: harness().kube.kubeconfig, namespace: uniqueName('argocd') }), startGitServer(gitRoot)]);
    await k(['patch', 'configmap', 'argocd-cm', '-n', argo.namespace, '--type=merge', '-p', JSON.stringify({ data: healthCustomizations() })]);
    await k(
      ['apply', '--server-side', '--field-manager=flotilla-api-test', '-f', '-'],
      JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: app, namespace: argo.namespace },
        spec: {
          project: 'default',
          source: { repoURL: git.repoUrl('fleet.git'), targetRevision: 'main', path: '.' },
          destination: { server: argo.cluster.server, namespace: ns.name },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await argo?.stop();
    await git?.stop();
    await ns?.delete();
  });

  // Argo CD 3 keeps per-resource health in the application's resource tree, served by argocd-server.
  let token: string | undefined;
  async function probeHealth(): Promise<ResourceStatus['health']> {
    if (token === undefined) {
      const session = await fetch(`${argo.serverUrl}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: argo.adminPassword }),
      });
      token = ((await session.json()) as { token: string }).token;
    }
    const res = await fetch(`${argo.serverUrl}/api/v1/applications/${app}/resource-tree?appNamespace=${argo.namespace}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) return undefined;
    const tree = (await res.json()) as { nodes?: ResourceStatus[] };
    return tree.nodes?.find((r) => r.kind === 'WasmFunction' && r.name === 'probe')?.health;
  }

  async function expectHealth(status: string, message: string): Promise<void> {
    await waitFor(
      async () => {
        const h = await probeHealth();
        return h?.status === status && h.message === message ? h : undefined;
      },
      {
        what: `WasmFunction probe ${status}: ${message}`,
        timeoutMs: 90_000,
        describe: async () => `health: ${JSON.stringify(await probeHealth())}\napplication status: ${(await k(['get', 'application', app, '-n', argo.namespace, '-o', 'jsonpath={.status}'])).slice(0, 3000)}\ncontroller log:\n${logTail(join(argo.logDir, 'argocd-application-controller.log'), 20)}`,
      },
    );
  }

  async function setConditions(conditions: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>[]): Promise<void> {
    const lastTransitionTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = { observedGeneration: 1, conditions: conditions.map((c) => ({ ...c, lastTransitionTime, observedGeneration: 1 })) };
    await k(['patch', '-n', ns.name, 'wasmfunction/probe', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  }

  it('gitops/argocd/ (AppProject, ApplicationSet, argocd-cm) passes server-side apply against Argo CD\'s CRDs', async () => {
    const dir = new URL('../../../gitops/argocd/', import.meta.url).pathname;
    const files = await listFiles(dir);
    expect(files.length).toBe(3);
    for (const f of files) {
      const obj = parse(readFileSync(join(dir, f), 'utf8')) as { metadata: { namespace?: string } };
      obj.metadata.namespace = argo.namespace; // rendered for "argocd"; this Argo CD runs in its own namespace
      await k(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=flotilla-api-test', '-f', '-'], JSON.stringify(obj));
    }
  });

  it('is Progressing until the operator reports, then Healthy, then Degraded on an untrusted signature', async () => {
    await expectHealth('Progressing', 'Waiting for the Flotilla operator to report status');
    await setConditions([{ type: 'Ready', status: 'True', reason: 'AllInstancesReady', message: '1/1 instances ready' }]);
    await expectHealth('Healthy', 'Ready True (AllInstancesReady): 1/1 instances ready');
    await setConditions([
      { type: 'Ready', status: 'True', reason: 'AllInstancesReady', message: '1/1 instances ready' },
      { type: 'SignatureVerified', status: 'False', reason: 'UntrustedKey', message: 'signed by a key the trust policy does not list' },
    ]);
    await expectHealth('Degraded', 'SignatureVerified False (UntrustedKey): signed by a key the trust policy does not list');
  }, 300_000);
});
