/**
 * `npm run bench:fleet`: the local fleet end to end. Measures, in one run, on loopback:
 *
 * - `flotilla up` cold (fresh config and state dirs, so a new signing key, and an empty example
 *   cache, so every example is compiled from source; the tools and the Go/clang caches are warm, as
 *   on any machine that ran `npm run setup`), warm (the same dirs after a `down`), and reused (while
 *   it runs);
 * - the resident memory of every process of the fleet;
 * - commit → first successful request at the new digest on every node running echo, over several
 *   commits, with nothing but the commit (the git server's push webhook tells Argo CD), next to the
 *   GitOps floor measured in the same commits: the time until Argo CD has applied a plain ConfigMap
 *   changed by that commit, in the WasmFunctions' sync wave, in every cluster. The difference is
 *   what Flotilla adds (operator verify + place, node pull + verify + compile + swap). Each commit
 *   is broken down by stage, each the latest over the clusters: webhook delivered (git server log),
 *   Argo CD's sync of the commit started and finished (its Application status), the floor, the
 *   operator resolved the new digest (WasmFunction status), every node serving it.
 *
 * A node says which module answered in the x-flotilla-digest response header. Progress on stderr,
 * a JSON summary on stdout; everything is taken down at the end, also on failure.
 *
 * Usage: node bench/fleet/fleet.ts [commits, default 5]
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONFIG_MAP_TYPE, createKubeClient, loadKubeConfigFile, resourcePath, WASM_FUNCTION_TYPE } from '../../kube/index.ts';
import { execa } from 'execa';
import { ArgoCdApi } from '../../devenv/fleet/argocd-api.ts';
import { commit } from '../../devenv/fleet/commit.ts';
import { getWithHost } from '../../devenv/fleet/http-probe.ts';
import type { FleetState } from '../../devenv/fleet/state.ts';
import { nodesServing, pointEchoAt, pushEcho } from '../../devenv/fixtures/fleet.ts';
import { median } from '../triggers/stats.ts';

const COMMITS = Number(process.argv[2] ?? 5);
if (!Number.isInteger(COMMITS) || COMMITS < 1 || COMMITS > 50) throw new Error(`commits: expected an integer 1..50, got ${JSON.stringify(process.argv[2])}`);
/** A commit not served everywhere within this is a failure, not a data point. */
const COMMIT_TIMEOUT_MS = 120_000;
const CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const home = mkdtempSync(join(tmpdir(), 'flotilla-bench-fleet-'));
const env = { ...process.env, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), FLOTILLA_CACHE_DIR: join(home, 'cache') };
const stateFile = join(home, 'state', 'flotilla', 'fleet.json');
const flotilla = async (args: string[]): Promise<number> => {
  const t = performance.now();
  const r = await execa(process.execPath, [CLI, ...args], { env, reject: false, timeout: 900_000, all: true });
  if (r.exitCode !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${r.exitCode}:\n${String(r.all).slice(-3000)}`);
  return performance.now() - t;
};
const readState = (): FleetState => JSON.parse(readFileSync(stateFile, 'utf8')) as FleetState;

/** Sum of VmRSS (MiB) of the supervisor and every process whose command line or working directory is in the fleet's dirs (redis rewrites its command line). */
function fleetRssMiB(state: FleetState): { total: number; processes: number; byKind: Record<string, number> } {
  let total = 0;
  let processes = 0;
  const byKind: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const line = cmd.join(' ');
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const ours = [state.workDir, state.logDir].some((d) => line.includes(d) || cwd.startsWith(d));
      if (pid !== state.supervisorPid && !ours) continue;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      // Node processes by their subcommand (node runtime, operator, supervisor); others by binary name.
      const kind = cmd[1]?.endsWith('cli/main.ts') ? `flotilla ${cmd[2] ?? ''}` : (cmd[0]?.split('/').pop() ?? '?');
      byKind[kind] = (byKind[kind] ?? 0) + kb / 1024;
      total += kb / 1024;
      processes++;
    } catch {
      // exited meanwhile
    }
  }
  return { total: Math.round(total), processes, byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]): [string, number] => [k, Math.round(v)]).sort((a, b) => b[1] - a[1])) };
}

/** Polls until `probe` is true; returns the elapsed ms from `t0`. */
async function until(t0: number, what: string, probe: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - t0;
    if (Date.now() - t0 > COMMIT_TIMEOUT_MS) throw new Error(`${what}: not within ${COMMIT_TIMEOUT_MS / 1000} s`);
    await sleep(25);
  }
}

/** The sync wave of echo's WasmFunction in the rendered repo. */
function wasmFunctionWave(state: FleetState, cluster: string): string {
  const text = readFileSync(join(state.git?.repoDir ?? '', 'gitops', 'clusters', cluster, 'wasmfunction_functions_echo.yaml'), 'utf8');
  const wave = /argocd\.argoproj\.io\/sync-wave: "(-?\d+)"/.exec(text)?.[1];
  if (wave === undefined) throw new Error(`${cluster}: echo's WasmFunction carries no sync-wave annotation`);
  return wave;
}

/** When the git server's log says it delivered the push of `sha` (ms since epoch), once it has. */
function webhookDeliveredAt(state: FleetState, sha: string): number | undefined {
  const lines = readFileSync(join(state.logDir, 'git-server.log'), 'utf8').split('\n');
  const push = lines.findIndex((l) => l.includes(`..${sha.slice(0, 8)}:`));
  const done = lines.slice(push + 1).find((l) => / webhook .*: 200 in /.test(l));
  return push < 0 || done === undefined ? undefined : Date.parse(done.split(' ')[0] ?? '');
}

interface Stages {
  webhookMs: number;
  syncStartedMs: number;
  syncDoneMs: number;
  floorMs: number;
  operatorMs: number;
  servedMs: number;
}

async function commitRound(state: FleetState, i: number): Promise<Stages & { perNode: Record<string, number> }> {
  const { repository, digest } = await pushEcho(state, true);
  const clusters = state.clusters ?? [];
  // Placement is sticky, so the nodes running echo before the commit are the ones that must switch.
  const targets = (await Promise.all(clusters.map(async (c) => (await nodesServing(c, 'echo')).map((t) => ({ ...t, cluster: c.name }))))).flat();
  await pointEchoAt(state, `${repository}@${digest}`);
  for (const c of clusters) {
    // In the WasmFunctions' sync wave, so Argo CD applies it together with echo's new ref: the floor is Argo CD's share alone.
    const marker = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bench-marker', namespace: 'functions', annotations: { 'argocd.argoproj.io/sync-wave': wasmFunctionWave(state, c.name) } }, data: { round: String(i) } };
    await writeFile(join(state.git?.repoDir ?? '', 'gitops', 'clusters', c.name, 'configmap_functions_bench-marker.yaml'), JSON.stringify(marker));
  }
  const argo = new ArgoCdApi(state.argocd?.url ?? '', { username: state.argocd?.username ?? '', password: state.argocd?.password ?? '' });
  await argo.applications(); // log in before t0
  const t0 = Date.now();
  const sha = commit(state, `bench: echo -> ${digest} (round ${i})`);
  const apps = clusters.map((c) => `flotilla-${c.name}`);
  // One poller for both Argo CD stages of every Application, at 10 Hz: argocd-server shares the
  // two cores with what it measures, and a list per probe per stage would cost more than it tells.
  const seen = { started: new Map<string, number>(), done: new Map<string, number>() };
  const argoStages = (async () => {
    while (seen.done.size < apps.length && Date.now() - t0 < COMMIT_TIMEOUT_MS) {
      for (const a of await argo.applications().catch(() => [])) {
        const st = a.status;
        const op = st?.operationState;
        if (!apps.includes(a.metadata.name)) continue;
        if (!seen.started.has(a.metadata.name) && (op?.operation?.sync?.revision === sha || op?.syncResult?.revision === sha)) seen.started.set(a.metadata.name, Date.now() - t0);
        if (!seen.done.has(a.metadata.name) && st?.sync?.revision === sha && op?.phase === 'Succeeded' && op.syncResult?.revision === sha) seen.done.set(a.metadata.name, Date.now() - t0);
      }
      await sleep(100);
    }
    if (seen.done.size < apps.length) throw new Error(`Argo CD syncing ${sha}: not within ${COMMIT_TIMEOUT_MS / 1000} s`);
  })();
  const [webhook, , floors, operator, served] = await Promise.all([
    until(t0, `webhook for ${sha}`, () => Promise.resolve(webhookDeliveredAt(state, sha) !== undefined)).then(() => (webhookDeliveredAt(state, sha) ?? NaN) - t0),
    argoStages,
    Promise.all(clusters.map((c) => {
      const client = createKubeClient(loadKubeConfigFile(c.kubeconfig));
      const path = resourcePath(CONFIG_MAP_TYPE, { namespace: 'functions', name: 'bench-marker' });
      return until(t0, `bench-marker round ${i} in ${c.name}`, async () => (await client.request<{ data?: Record<string, string> }>({ method: 'GET', path })).data?.['round'] === String(i));
    })),
    Promise.all(clusters.map((c) => {
      const client = createKubeClient(loadKubeConfigFile(c.kubeconfig));
      const path = resourcePath(WASM_FUNCTION_TYPE, { namespace: 'functions', name: 'echo' });
      return until(t0, `echo resolved to ${digest} in ${c.name}`, async () => (await client.request<{ status?: { resolvedDigest?: string } }>({ method: 'GET', path })).status?.resolvedDigest === digest);
    })),
    Promise.all(targets.map((t) => until(t0, `echo at ${digest} on ${t.node}`, async () => {
      const res = await getWithHost(`${t.url}/`, t.host, 2000);
      return res.status === 200 && res.headers['x-flotilla-digest'] === digest;
    }))),
  ]);
  const perNode = Object.fromEntries(targets.map((t, k) => [`${t.cluster}/${t.node}`, served[k] ?? NaN]));
  return { webhookMs: webhook, syncStartedMs: Math.max(...seen.started.values()), syncDoneMs: Math.max(...seen.done.values()), floorMs: Math.max(...floors), operatorMs: Math.max(...operator), servedMs: Math.max(...served), perNode };
}

async function main(): Promise<void> {
  log(`bench: fleet in ${home}; ${COMMITS} commits`);
  const coldMs = await flotilla(['up']);
  log(`cold up: ${(coldMs / 1000).toFixed(1)} s`);
  await flotilla(['down']);
  const warmMs = await flotilla(['up']);
  log(`warm up: ${(warmMs / 1000).toFixed(1)} s`);
  const reuseMs = await flotilla(['up']);
  const state = readState();
  // Let the fleet settle (first syncs, heartbeats) before memory and commits.
  await sleep(10_000);
  const memory = fleetRssMiB(state);
  log(`fleet memory: ${memory.total} MiB RSS in ${memory.processes} processes`);
  const rounds: Awaited<ReturnType<typeof commitRound>>[] = [];
  for (let i = 1; i <= COMMITS; i++) {
    const r = await commitRound(state, i);
    log(`commit ${i}: webhook delivered ${r.webhookMs} ms, Argo CD sync started ${r.syncStartedMs} ms, GitOps floor (ConfigMap applied in every cluster) ${r.floorMs} ms, sync finished ${r.syncDoneMs} ms, operator resolved ${r.operatorMs} ms; new digest answering on every node ${r.servedMs} ms ${JSON.stringify(r.perNode)}`);
    rounds.push(r);
  }
  const floor = rounds.map((r) => r.floorMs);
  const served = rounds.map((r) => r.servedMs);
  const stages = Object.fromEntries((['webhookMs', 'syncStartedMs', 'floorMs', 'syncDoneMs', 'operatorMs', 'servedMs'] as const).map((k) => [k, median(rounds.map((r) => r[k]))]));
  const summary = {
    up: { coldMs: Math.round(coldMs), warmMs: Math.round(warmMs), reuseMs: Math.round(reuseMs) },
    memory,
    commitToServed: { commits: COMMITS, medianMs: median(served), maxMs: Math.max(...served), gitopsFloorMedianMs: median(floor), gitopsFloorMaxMs: Math.max(...floor), ratioToFloor: Number((median(served) / median(floor)).toFixed(2)), stageMedians: stages, rounds },
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

try {
  await main();
} finally {
  await execa(process.execPath, [CLI, 'down'], { env, reject: false, timeout: 120_000 });
  rmSync(home, { recursive: true, force: true });
}
