/**
 * A local fleet for one e2e file: `flotilla up` with config and state in a temp HOME (the user's
 * own fleet and key stay untouched), its recorded state, and a teardown that always runs `down`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';
import type { Result } from 'execa';
import { buildWasmArtifact, loadPrivateKey, openStore, parseReference, pushWasmArtifact, signArtifact } from '../../artifacts/index.ts';
import type { ClusterState, FleetState } from '../../devenv/fleet/state.ts';
import { buildExample } from '../../examples/functions/build.ts';
import { loadKubeConfig } from '../../devenv/servers/kube.ts';

const CLI = join(import.meta.dirname, '../../cli/main.ts');

export interface FleetFixture {
  readonly home: string;
  readonly stateFile: string;
  /** Runs the CLI with this fixture's HOME dirs. */
  flotilla(args: string[]): Promise<Result>;
  /** The state file as it is now. */
  state(): FleetState;
  /** `flotilla down` if anything is recorded, then removes the temp HOME. */
  teardown(): Promise<void>;
}

/** Starts a fleet; throws with up's output when it fails. */
export async function upFleet(): Promise<FleetFixture & { readonly upMs: number }> {
  const home = await mkdtemp(join(tmpdir(), 'flotilla-e2e-home-'));
  const env = { XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state') };
  const stateFile = join(home, 'state', 'flotilla', 'fleet.json');
  const flotilla = (args: string[]): Promise<Result> => execa('node', [CLI, ...args], { env, reject: false, timeout: 900_000 });
  const fixture: FleetFixture = {
    home,
    stateFile,
    flotilla,
    state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as FleetState,
    async teardown() {
      if (existsSync(stateFile)) await flotilla(['down']);
      await rm(home, { recursive: true, force: true });
    },
  };
  const t = performance.now();
  const up = await flotilla(['up']);
  const upMs = performance.now() - t;
  if (up.exitCode !== 0) {
    await fixture.teardown();
    throw new Error(`flotilla up exited ${up.exitCode}:\n${String(up.stderr).slice(-4000)}`);
  }
  return { ...fixture, upMs };
}

/**
 * The fleet of one e2e file: `up` before its tests, `down` after them, always. Read `fleet` and
 * `state` (the state file as `up` left it) inside tests and hooks, once the file's beforeAll ran.
 */
export function useFleet(): { readonly fleet: FleetFixture & { readonly upMs: number }; readonly state: FleetState } {
  let fleet: (FleetFixture & { readonly upMs: number }) | undefined;
  let state: FleetState | undefined;
  beforeAll(async () => {
    fleet = await upFleet();
    state = fleet.state();
  });
  afterAll(async () => {
    await fleet?.teardown();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useFleet: the fleet is read before beforeAll brought it up (or up failed)');
    return v;
  };
  return {
    get fleet() {
      return started(fleet);
    },
    get state() {
      return started(state);
    },
  };
}

/** Pushes echo again under a new creation time (a new digest); signs it with the fleet's key unless `sign` is false. */
export async function pushEcho(state: FleetState, sign: boolean): Promise<{ repository: string; digest: string }> {
  if (!state.registry || !state.key) throw new Error('expected registry and key in the fleet state');
  const repository = `${state.registry.host}/functions/echo`;
  const store = await openStore(parseReference(repository));
  const artifact = buildWasmArtifact({ wasm: await readFile(await buildExample('echo')), created: new Date(), source: 'examples/functions/echo', revision: sign ? 'signed' : 'unsigned' });
  const digest = await pushWasmArtifact(store, artifact);
  if (sign) await signArtifact(store, digest, { key: await loadPrivateKey(await readFile(state.key.privateKey, 'utf8'), ''), repository });
  return { repository, digest };
}

/** Points echo at `ref` in every cluster folder of the served working copy (not yet committed). */
export async function pointEchoAt(state: FleetState, ref: string): Promise<void> {
  for (const c of state.clusters ?? []) {
    const file = join(state.git?.repoDir ?? '', 'gitops', 'clusters', c.name, 'wasmfunction_functions_echo.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/ref: .*\/functions\/echo@sha256:[a-f0-9]{64}/, `ref: ${ref}`));
  }
}

/**
 * The node runtimes of `cluster` that run HTTP function `name` now (its pool's, on the nodes in its
 * status), with the Host its route matches; with `all`, every node runtime of its pool.
 */
export async function nodesServing(cluster: ClusterState, name: string, opts: { all?: boolean } = {}): Promise<{ node: string; url: string; host: string }[]> {
  const route = cluster.functions.find((f) => f.name === name);
  if (!route) throw new Error(`${cluster.name}: no HTTP function ${name} in the fleet state`);
  const fn = (await loadKubeConfig(cluster.kubeconfig).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'flotilla.dev', version: 'v1alpha1', namespace: route.namespace, plural: 'wasmfunctions', name: route.function })) as { status?: { nodes?: string[] } };
  const on = fn.status?.nodes ?? [];
  return cluster.nodes.filter((n) => n.pool === route.pool && (opts.all === true || on.includes(n.name))).map((n) => ({ node: n.name, url: n.url, host: route.host }));
}
