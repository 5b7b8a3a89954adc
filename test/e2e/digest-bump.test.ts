/**
 * The GitOps loop for real: a commit that moves echo to a new signed digest reaches every node of
 * both clusters (each node reports the new digest Loaded to the operator, which marks it Ready), and
 * a client hammering echo on every node during the roll never sees a failed request.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWasmArtifact, loadPrivateKey, openStore, parseReference, pushWasmArtifact, signArtifact } from '../../artifacts/index.ts';
import { commitAndRefresh } from '../../cli/fleet/commit.ts';
import { getWithHost } from '../../cli/fleet/http-probe.ts';
import type { FleetState } from '../../cli/fleet/state.ts';
import { buildExample } from '../../examples/functions/build.ts';
import { waitFor } from '../harness/index.ts';
import { loadKubeConfig } from '../harness/kube.ts';

const CLI = join(import.meta.dirname, '../../cli/main.ts');

describe('a commit bumping a digest', () => {
  let home: string;
  let env: Record<string, string>;
  let state: FleetState;
  const flotilla = (args: string[]) => execa('node', [CLI, ...args], { env, reject: false, timeout: 900_000 });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'flotilla-e2e-home-'));
    env = { XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state') };
    const up = await flotilla(['up']);
    if (up.exitCode !== 0) throw new Error(`flotilla up exited ${up.exitCode}:\n${String(up.stderr).slice(-4000)}`);
    state = JSON.parse(readFileSync(join(home, 'state', 'flotilla', 'fleet.json'), 'utf8')) as FleetState;
  });

  afterAll(async () => {
    await flotilla(['down']);
    await rm(home, { recursive: true, force: true });
  });

  it('is served by every node of every cluster with no failed request during the roll', async () => {
    if (!state.registry || !state.key || !state.git) throw new Error('expected registry, key and git in the state');
    // The same module under a new creation time: a new manifest digest, signed with the fleet's key.
    const repository = `${state.registry.host}/functions/echo`;
    const store = await openStore(parseReference(repository));
    const artifact = buildWasmArtifact({ wasm: await readFile(await buildExample('echo')), created: new Date(), source: 'examples/functions/echo', revision: 'bump' });
    const digest = await pushWasmArtifact(store, artifact, { tag: 'bump' });
    await signArtifact(store, digest, { key: await loadPrivateKey(await readFile(state.key.privateKey, 'utf8'), ''), repository });

    const targets = (state.clusters ?? []).flatMap((c) => c.nodes.map((n) => ({ url: n.url, host: c.functions.find((f) => f.name === 'echo')?.host ?? '' })));
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
    for (const c of state.clusters ?? []) {
      const file = join(state.git.repoDir, 'gitops', 'clusters', c.name, 'wasmfunction_functions_echo.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/ref: .*\/functions\/echo@sha256:[a-f0-9]{64}/, `ref: ${repository}@${digest}`));
    }
    await commitAndRefresh(state, `echo -> ${digest}`);

    for (const c of state.clusters ?? []) {
      const kc = loadKubeConfig(c.kubeconfig);
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
  });
});
