// Argo CD is real: the controller syncs a git repo served on loopback into the harness apiserver
// and reports the Application Synced/Healthy; argocd-server logs the admin in and serves it back.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { applyYaml, createTestNamespace, harness, kubeConfig, logTail, startArgoCd, startGitServer, uniqueName, waitFor } from '../../harness/index.ts';
import type { ArgoCd, GitServer, TestNamespace } from '../../harness/index.ts';
import { toolPath } from '../../../devenv/tools/paths.ts';

interface AppStatus {
  status?: { sync?: { status?: string; revision?: string }; health?: { status?: string }; conditions?: { type: string; message: string }[] };
}

describe('Argo CD smoke', () => {
  let argo: ArgoCd;
  let git: GitServer;
  let ns: TestNamespace;
  const gitRoot = mkdtempSync(join(tmpdir(), 'smoke-git-'));

  beforeAll(async () => {
    ns = await createTestNamespace('smoke-argocd');
    // One repo, one ConfigMap manifest at its root.
    const repo = join(gitRoot, 'apps.git');
    mkdirSync(repo);
    const runGit = (...args: string[]): string => execFileSync(toolPath('git'), args, { cwd: repo, encoding: 'utf8' });
    runGit('init', '--quiet', '--initial-branch=main');
    writeFileSync(join(repo, 'configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: smoke-config\ndata:\n  greeting: hello from git\n');
    runGit('add', '.');
    runGit('-c', 'user.name=Flotilla Smoke', '-c', 'user.email=smoke@flotilla.invalid', 'commit', '--quiet', '-m', 'one ConfigMap');
    [argo, git] = await Promise.all([startArgoCd({ kubeconfig: harness().kube.kubeconfig }), startGitServer(gitRoot)]);
  }, 300_000);
  afterAll(async () => {
    await argo?.stop();
    await git?.stop();
    await ns?.delete();
  });

  it('syncs a git repo into the apiserver and reports the Application Synced/Healthy', async () => {
    const app = uniqueName('smoke-app');
    await applyYaml(
      harness().kube.kubeconfig,
      `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: ${app}, namespace: ${argo.namespace} }
spec:
  project: default
  source: { repoURL: '${git.repoUrl('apps.git')}', targetRevision: main, path: . }
  destination: { server: '${argo.cluster.server}', namespace: ${ns.name} }
  syncPolicy: { automated: { prune: true } }
`,
    );

    const custom = kubeConfig().makeApiClient(CustomObjectsApi);
    const getApp = async (): Promise<AppStatus> =>
      (await custom.getNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: argo.namespace, plural: 'applications', name: app })) as AppStatus;
    const status = await waitFor(
      async () => {
        const s = (await getApp()).status;
        return s?.sync?.status === 'Synced' && s.health?.status === 'Healthy' ? s : undefined;
      },
      {
        what: `Application ${app} Synced/Healthy`,
        timeoutMs: 180_000,
        describe: async () =>
          `status: ${JSON.stringify((await getApp()).status)}\ncontroller log:\n${logTail(join(argo.logDir, 'argocd-application-controller.log'), 20)}\nrepo server log:\n${logTail(join(argo.logDir, 'argocd-repo-server.log'), 20)}`,
      },
    );
    expect(status.sync?.revision).toMatch(/^[0-9a-f]{40}$/);

    const cm = await kubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'smoke-config', namespace: ns.name });
    expect(cm.data?.['greeting']).toBe('hello from git');

    // The API server: log in as admin and read the same Application back.
    const session = await fetch(`${argo.serverUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: argo.adminPassword }),
    });
    expect(session.status).toBe(200);
    const { token } = (await session.json()) as { token: string };
    const res = await fetch(`${argo.serverUrl}/api/v1/applications/${app}?appNamespace=${argo.namespace}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const viaApi = (await res.json()) as { spec: { source: { repoURL: string } }; status: { sync: { status: string } } };
    expect(viaApi.spec.source.repoURL).toBe(git.repoUrl('apps.git'));
    expect(viaApi.status.sync.status).toBe('Synced');

    // A wrong password is refused: the login above was checked, not waved through.
    const bad = await fetch(`${argo.serverUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'wrong' }),
    });
    expect(bad.status).toBe(401);
  }, 300_000);
});
