/**
 * `flotilla status` and `flotilla version` on a cluster `flotilla up` did not create: the harness
 * API server, reached through a kubeconfig whose context has its own name (as a user's
 * ~/.kube/config would), with no local fleet recorded (HOME is an empty dir).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdFor, KINDS } from '../../../api/index.ts';
import { installCrds } from '../../../devenv/fixtures/crds.ts';
import { createKubeClient, resourcePath, WASM_FUNCTION_TYPE } from '../../../kube/index.ts';
import { EXIT_CODES } from '../../../cli/exit-codes.ts';
import { createTestNamespace, kubeConfig } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';

const MAIN = join(import.meta.dirname, '../../../cli/main.ts');
const DIGEST = `sha256:${'c'.repeat(64)}`;

describe('the CLI on a cluster it did not start', () => {
  let ns: TestNamespace;
  let dir: string;
  let kubeconfig: string;
  const flotilla = async (args: string[]) => {
    const r = await execa(process.execPath, [MAIN, ...args], { env: { KUBECONFIG: '', HOME: dir, XDG_STATE_HOME: '', XDG_CONFIG_HOME: '' }, reject: false, timeout: 60_000 });
    return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-real-'));
    const client = createKubeClient(kubeConfig());
    await installCrds(client, KINDS.map((k) => crdFor(k)));
    ns = await createTestNamespace('cli-real');
    await client.request({
      method: 'POST',
      path: resourcePath(WASM_FUNCTION_TYPE, { namespace: ns.name }),
      body: { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name: 'echo' }, spec: { module: { ref: `registry.example/echo@${DIGEST}` }, runtimeClass: 'default' } },
    });
    // The harness's admin kubeconfig, its context renamed as a user's would be; a second context points nowhere.
    const kc = kubeConfig();
    const current = kc.getCurrentContext();
    const exported = JSON.parse(kc.exportConfig()) as { contexts: { name: string; context: { cluster: string; user: string } }[]; 'current-context': string };
    const ctx = exported.contexts.find((c) => c.name === current)!;
    exported.contexts = [{ ...ctx, name: 'edge-paris' }, { name: 'elsewhere', context: { cluster: 'missing-cluster', user: ctx.context.user } }];
    exported['current-context'] = 'edge-paris';
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, JSON.stringify(exported));
  });
  afterAll(async () => {
    await ns?.delete();
    await rm(dir, { recursive: true, force: true });
  });

  it('status --context shows the cluster under its context name, in every -o format', async () => {
    const json = await flotilla(['status', '--kubeconfig', kubeconfig, '--context', 'edge-paris', '-o', 'json']);
    expect(json.stderr).toBe('');
    const rows = (JSON.parse(json.stdout) as { functions: { cluster: string; function: string; digest: string; sync: string }[] }).functions;
    expect(rows).toContainEqual(expect.objectContaining({ cluster: 'edge-paris', function: `${ns.name}/echo`, digest: DIGEST, sync: 'Unknown' }));
    const names = await flotilla(['status', '--kubeconfig', kubeconfig, '-o', 'name']);
    expect(names.stdout.split('\n')).toContain(`edge-paris/${ns.name}/echo`);
    const table = await flotilla(['status', '--kubeconfig', kubeconfig, '--context', 'edge-paris']);
    expect(table.stdout).toMatch(new RegExp(`edge-paris\\s*│\\s*${ns.name}/echo`));
  });

  it('a context that does not exist is one line naming the contexts there are', async () => {
    const r = await flotilla(['status', '--kubeconfig', kubeconfig, '--context', 'edge-tokyo']);
    expect(r.exitCode).toBe(EXIT_CODES['KubeConfigInvalid']);
    expect(r.stderr.trim()).toBe(`flotilla: KubeConfigInvalid: --context edge-tokyo: no such context in ${kubeconfig}; it has edge-paris, elsewhere`);
  });

  it('without a fleet or a kubeconfig, status says how to name a cluster', async () => {
    const r = await flotilla(['status']);
    expect(r.exitCode).toBe(EXIT_CODES['FleetNotUp']);
    expect(r.stderr).toContain('--kubeconfig/--context');
  });

  it('version reports the API server it reaches', async () => {
    const r = await flotilla(['version', '--kubeconfig', kubeconfig, '-o', 'json']);
    expect(r.exitCode).toBe(0);
    const v = JSON.parse(r.stdout) as { client: { version: string }; server: { context: string; kubernetes: string } };
    expect(v.server.context).toBe('edge-paris');
    expect(v.server.kubernetes).toMatch(/^v1\.35\.\d+/);
  });
});
