/**
 * `npm run bench:operator`: reconcile latency of the operator with real node runtimes, next to the
 * apiserver's own write → watch-event latency measured in the same run (the floor any controller
 * built on watches has). Starts its own harness (etcd, kube-apiserver, registry), one
 * `flotilla operator` and two `flotilla node --cluster` processes; loopback only, about a minute,
 * everything torn down at the end. Progress on stderr, a JSON summary on stdout.
 *
 * Per function, from the WasmFunction create (or the module ref patch): its entry in a node's
 * assignment ConfigMap (what the operator controls), Ready=True (the node pulled, verified,
 * compiled and reported Loaded), and the node answering on the function's route. Every function
 * uses the same signed modules, warmed up first: steady state, not first-pull cost (that is the
 * node benchmark's cold start). Timestamps come from watches (informers) in this process, polled
 * only for the HTTP answer.
 *
 * Usage: node bench/operator/reconcile-latency.ts [functions, default 20]
 */
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { ASSIGNMENT_KEY, crdFor, KINDS, NODE_LABEL } from '../../api/index.ts';
import type { Condition, NodeAssignment } from '../../api/index.ts';
import { buildExample } from '../../examples/functions/build.ts';
import { FUNCTION_ROUTE_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from '../../operator/kinds.ts';
import { CONFIG_MAP_TYPE, createKubeClient, Informer, loadKubeConfigFile, resourcePath, systemClock } from '../../kube/index.ts';
import type { KubeObject, ResourceType } from '../../kube/index.ts';
import { installCrds } from '../../devenv/fixtures/crds.ts';
import { newKey, publish } from '../../devenv/fixtures/modules.ts';
import { request } from '../../devenv/fixtures/http-client.ts';
import { createNamespace, uniqueName } from '../../devenv/servers/kube.ts';
import { startHarness } from '../../devenv/servers/start.ts';
import { waitFor } from '../../devenv/servers/wait.ts';
import { quantile } from '../triggers/stats.ts';
import { startNodeProcess, startOperatorProcess } from './processes.ts';
import type { NodeProcess } from './processes.ts';

const N = Number(process.argv[2] ?? 20);
if (!Number.isInteger(N) || N < 1 || N > 100) throw new Error(`functions: expected an integer 1..100, got ${JSON.stringify(process.argv[2])}`);
/** Hard bound on the whole run: a hang must not hold the machine. */
const WATCHDOG_MS = 180_000;
const WAIT_MS = 15_000;
const HOST = 'apps.example';
const BENCH_LABEL = 'flotilla.dev/bench';

type Cm = KubeObject & { data?: Record<string, string> };
type Fn = KubeObject & { status?: { conditions?: Condition[] } };

const log = (l: string) => process.stderr.write(`${l}\n`);
const quiet = pino({ level: 'silent' });
const now = () => performance.now();

/** median, p90 and range in ms, and the median as a multiple of the baseline's median. */
function summarize(xs: readonly number[], baselineMedian?: number) {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  const median = quantile(s, 0.5);
  return {
    n: s.length,
    medianMs: r(median),
    p90Ms: r(quantile(s, 0.9)),
    minMs: r(s[0] ?? NaN),
    maxMs: r(s[s.length - 1] ?? NaN),
    ...(baselineMedian === undefined ? {} : { medianOverBaseline: Math.round((median / baselineMedian) * 10) / 10 }),
  };
}

const watchdog = setTimeout(() => {
  // The process-exit hook of devenv/servers/process.ts kills every server it started.
  log(`reconcile-latency: still running after ${WATCHDOG_MS / 1000}s, giving up`);
  process.exit(2);
}, WATCHDOG_MS);

const harness = await startHarness({ log });
const nodes: NodeProcess[] = [];
const stoppers: (() => Promise<void>)[] = [];
try {
  const kc = loadKubeConfigFile(harness.info.kube.kubeconfig);
  const api = createKubeClient(kc);
  const pool = await createNamespace(kc, 'bench-pool');
  const system = await createNamespace(kc, 'bench-system');
  const path = (type: ResourceType, name?: string) => resourcePath(type, { namespace: pool.name, ...(name ? { name } : {}) });
  const create = (type: ResourceType, body: object) => api.request({ method: 'POST', path: path(type), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: type.kind, ...body } });

  await installCrds(api, KINDS.map((k) => crdFor(k)));
  const key = newKey();
  const repo = uniqueName('bench-operator');
  const wasm = async (example: string) => new Uint8Array(await readFile(await buildExample(example)));
  const registry = harness.info.registry.host;
  const v1 = await publish({ kind: 'registry', registry, repository: `${repo}/hello` }, await wasm('hello'), key);
  const v2 = await publish({ kind: 'registry', registry, repository: `${repo}/echo` }, await wasm('echo'), key);
  await api.request({ method: 'POST', path: resourcePath(CONFIG_MAP_TYPE, { namespace: system.name }), body: { metadata: { name: 'fleet' }, data: { 'policy.json': JSON.stringify({ keys: [key.publicPem], identities: [] }) } } });
  await create(WASM_RUNTIME_TYPE, { metadata: { name: 'edge' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' } } });

  const kubeconfig = harness.info.kube.kubeconfig;
  const logDir = harness.info.logDir;
  const operator = await startOperatorProcess({ kubeconfig, systemNamespace: system.name, watchNamespace: pool.name, logDir });
  stoppers.push(() => operator.stop());
  for (const name of ['n1', 'n2']) {
    const node = await startNodeProcess({ name, kubeconfig, poolNamespace: pool.name, trustNamespace: system.name, runtime: 'edge', workDir: harness.info.workDir, logDir });
    nodes.push(node);
    stoppers.push(() => node.server.stop());
  }
  await waitFor(async () => ((await api.request<{ status?: { readyNodes?: number } }>({ method: 'GET', path: path(WASM_RUNTIME_TYPE, 'edge') })).status?.readyNodes === 2 ? true : undefined), { what: 'both nodes registered', timeoutMs: 30_000 });
  log('reconcile-latency: operator and 2 nodes up');

  // What this process watches. Each records the first time it sees a thing.
  const deps = { client: api, clock: systemClock, log: quiet };
  const baselineSeen = new Map<string, number>();
  const assigned = new Map<string, { at: number; node: string }>(); // key: name@digest
  const readyAt = new Map<string, number>();
  const baselineInformer = new Informer<Cm>(deps, { type: CONFIG_MAP_TYPE, namespace: pool.name, labelSelector: BENCH_LABEL });
  baselineInformer.onChange((c) => {
    const name = c.object.metadata.name ?? '';
    if (!baselineSeen.has(name)) baselineSeen.set(name, now());
  });
  const assignmentInformer = new Informer<Cm>(deps, { type: CONFIG_MAP_TYPE, namespace: pool.name, labelSelector: NODE_LABEL });
  assignmentInformer.onChange((c) => {
    const t = now();
    const node = c.object.metadata.labels?.[NODE_LABEL] ?? '?';
    const a = JSON.parse(c.object.data?.[ASSIGNMENT_KEY] ?? '{"functions":[]}') as NodeAssignment;
    for (const f of a.functions) if (!assigned.has(`${f.name}@${f.digest}`)) assigned.set(`${f.name}@${f.digest}`, { at: t, node });
  });
  const functionInformer = new Informer<Fn>(deps, { type: WASM_FUNCTION_TYPE, namespace: pool.name });
  functionInformer.onChange((c) => {
    const name = c.object.metadata.name ?? '';
    if (!readyAt.has(name) && c.object.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) readyAt.set(name, now());
  });
  for (const i of [baselineInformer, assignmentInformer, functionInformer]) {
    i.start();
    stoppers.unshift(() => i.stop());
  }
  await Promise.all([baselineInformer, assignmentInformer, functionInformer].map((i) => i.waitForSync()));

  const seen = <T>(what: string, probe: () => T | undefined) => waitFor(() => Promise.resolve(probe()), { what, timeoutMs: WAIT_MS, intervalMs: 2 });
  const serving = (node: string, fn: string, want: string) => {
    const url = nodes.find((n) => n.name === node)?.url;
    if (!url) throw new Error(`assignment names node ${node}, expected one of ${nodes.map((n) => n.name).join(', ')}`);
    return waitFor(async () => {
      const r = await request(url, `/${fn}`, { body: 'ping', host: HOST }).catch(() => undefined);
      return r?.status === 200 && r.body.includes(want) ? now() : undefined;
    }, { what: `${node} to answer /${fn} with ${JSON.stringify(want)}`, timeoutMs: WAIT_MS, intervalMs: 5 });
  };
  const digestOf = (ref: string) => ref.split('@')[1]!;
  const fnBody = (ref: string, instances: number) => ({ module: { ref }, limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 4 }, scaling: { minInstances: instances, maxInstances: instances }, runtimeClass: 'edge' });

  // Baseline: the apiserver's write → watch event, same client, same kind of watch.
  const baseline: number[] = [];
  for (let i = 0; i < N; i++) {
    const name = `baseline-${i}`;
    const t0 = now();
    await api.request({ method: 'POST', path: path(CONFIG_MAP_TYPE), body: { metadata: { name, labels: { [BENCH_LABEL]: 'baseline' } }, data: { i: String(i) } } });
    baseline.push((await seen(`${name} watched`, () => baselineSeen.get(name))) - t0);
  }

  /** One function's life: create → assignment / Ready / serving, then patch to v2 → assignment / serving. */
  async function measure(name: string, instances = 1) {
    await create(FUNCTION_ROUTE_TYPE, { metadata: { name }, spec: { host: HOST, pathPrefix: `/${name}`, backends: [{ functionRef: name, weight: 100 }] } });
    const t0 = now();
    await create(WASM_FUNCTION_TYPE, { metadata: { name }, spec: fnBody(v1, instances) });
    const a = await seen(`${name} assigned`, () => assigned.get(`${name}@${digestOf(v1)}`));
    const served = await serving(a.node, name, 'Hello from Flotilla');
    const ready = await seen(`${name} Ready`, () => readyAt.get(name));
    const t1 = now();
    await api.request({ method: 'PATCH', path: path(WASM_FUNCTION_TYPE, name), body: { spec: { module: { ref: v2 } } }, contentType: 'application/merge-patch+json' });
    const a2 = await seen(`${name} assigned v2`, () => assigned.get(`${name}@${digestOf(v2)}`));
    const served2 = await serving(a2.node, name, 'ping');
    return { assigned: a.at - t0, ready: ready - t0, serving: served - t0, updateAssigned: a2.at - t1, updateServing: served2 - t1 };
  }

  // Warm-up: both digests verified by the operator, and pulled and compiled on both nodes (Ready
  // means every instance Loaded v1; v2 is waited for on each node).
  await measure('warmup', nodes.length);
  for (const n of nodes) await serving(n.name, 'warmup', 'ping');
  log('reconcile-latency: warmed up');
  const runs: Awaited<ReturnType<typeof measure>>[] = [];
  for (let i = 0; i < N; i++) runs.push(await measure(`fn-${i}`));

  const base = summarize(baseline);
  const of = (k: keyof (typeof runs)[number]) => summarize(runs.map((r) => r[k]), base.medianMs);
  const summary = {
    node: process.version,
    functions: N,
    baselineConfigMapWriteToWatchEvent: base,
    createToAssignment: of('assigned'),
    createToReady: of('ready'),
    createToServing: of('serving'),
    updateToAssignment: of('updateAssigned'),
    updateToServing: of('updateServing'),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} finally {
  for (const stop of stoppers) await stop().catch((err: unknown) => log(`reconcile-latency: teardown: ${String(err)}`));
  await harness.stop();
  clearTimeout(watchdog);
}
