/**
 * Density: N functions with distinct modules (the echo example with a unique custom section each)
 * deployed on one node runtime in this process. A first node pulls and verifies them all into its
 * disk cache; a second node on the same cache (a node restart) is given the same N functions and,
 * once every one is loaded (verified again from disk, compiled as the compile policy says), its
 * resident memory is read; then one function never invoked answers its first request, timed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildExample } from '../../examples/functions/build.ts';
import { startNode, type RunningNode } from '../../node-runtime/node.ts';
import type { DesiredState, FunctionDef } from '../../node-runtime/resolve/desired-state.ts';
import { parseReference } from '../../artifacts/index.ts';
import { encodeSection } from '../../node-runtime/compile/wasm-binary.ts';
import { newKey, publish } from '../../devenv/fixtures/modules.ts';
import { request } from '../../devenv/fixtures/http-client.ts';

export interface DensityResult {
  readonly functions: number;
  /** RSS of the restarted node with N functions loaded, and empty (same process, before). */
  readonly rssBytes: number;
  readonly emptyRssBytes: number;
  /** Apply → every function loaded on the restarted node. */
  readonly loadAllMs: number;
  /** Apply → every function loaded on the first node (pull + verify). */
  readonly pullAllMs: number;
  /** First request of functions never invoked, ms, one sample each. */
  readonly firstRequestMs: number[];
}

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

export async function measureDensity(workDir: string, n: number, log: (l: string) => void): Promise<DensityResult> {
  const key = newKey();
  const store = join(workDir, 'density-store');
  const echo = new Uint8Array(await readFile(await buildExample('echo')));
  const functions = new Map<string, FunctionDef>();
  for (let i = 0; i < n; i++) {
    // A custom section named "flotilla-bench" holding i: valid anywhere, changes the digest only.
    const unique = encodeSection(0, [14, ...new TextEncoder().encode('flotilla-bench'), i & 0xff, (i >> 8) & 0xff, i >> 16]);
    const wasm = new Uint8Array(echo.length + unique.length);
    wasm.set(echo);
    wasm.set(unique, echo.length);
    const ref = await publish({ kind: 'registry', registry: 'bench.local', repository: `density/fn-${i}` }, wasm, key, store);
    const parsed = parseReference(ref);
    functions.set(`density/fn-${i}`, { key: `density/fn-${i}`, module: { kind: 'oci', ref: parsed, digest: parsed.digest!, text: ref }, memoryPages: 256, timeoutMs: 5000, concurrency: 4, env: [], reuse: false, grants: {} });
    if ((i + 1) % 1000 === 0) log(`density: published ${i + 1}/${n}`);
  }
  const routes = [...functions.keys()].map((k) => ({ key: k, host: '*', pathPrefix: `/${k.split('/')[1]}`, methods: [], backends: [{ functionKey: k, weight: 100 }], timeoutMs: 10_000 }));
  const state: DesiredState = { functions, routes, triggers: [] };
  const start = (): Promise<{ node: RunningNode; apply: (s: DesiredState) => void }> => {
    let apply: (s: DesiredState) => void = () => undefined;
    return startNode({
      source: { start: (a) => { apply = a; return Promise.resolve(a({ functions: new Map(), routes: [], triggers: [] })); }, close: () => Promise.resolve() },
      logger: pino({ level: 'silent' }),
      port: 0,
      cacheDir: join(workDir, 'density-cache'),
      cacheMaxBytes: 8 * 2 ** 30,
      trust: { keys: [key.publicPem], identities: [] },
      pull: { localStore: store },
      workers: 2,
    }).then((node) => ({ node, apply }));
  };
  const loadedAll = async (node: RunningNode): Promise<number> => {
    const t0 = performance.now();
    for (;;) {
      const states = Object.values(node.report());
      if (states.length === n && states.every((r) => r.state === 'Loaded')) return performance.now() - t0;
      if (states.some((r) => r.state === 'Failed')) throw new Error(`density: a function failed to load: ${JSON.stringify(states.find((r) => r.state === 'Failed'))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const first = await start();
  let pullAllMs: number;
  try {
    first.apply(state);
    pullAllMs = await loadedAll(first.node);
  } finally {
    await first.node.close();
  }
  log(`density: ${n} functions pulled and verified in ${(pullAllMs / 1000).toFixed(1)} s`);
  const emptyRssBytes = rss();
  const second = await start();
  const firstRequestMs: number[] = [];
  let loadAllMs: number;
  let rssBytes: number;
  try {
    second.apply(state);
    loadAllMs = await loadedAll(second.node);
    await new Promise((r) => setTimeout(r, 500));
    rssBytes = rss();
    for (const i of [Math.floor(n / 2), n - 1, 7]) {
      const t0 = performance.now();
      const reply = await request(second.node.url, `/fn-${i}`, { host: 'bench.test', body: 'x' });
      firstRequestMs.push(performance.now() - t0);
      if (reply.status !== 200) throw new Error(`fn-${i}: expected 200, got ${reply.status} ${reply.body}`);
    }
  } finally {
    await second.node.close();
  }
  log(`density: restarted node loaded ${n} in ${(loadAllMs / 1000).toFixed(1)} s, rss ${Math.round(rssBytes / 2 ** 20)} MiB (${Math.round(emptyRssBytes / 2 ** 20)} MiB before), first requests ${firstRequestMs.map((m) => m.toFixed(1)).join(', ')} ms`);
  return { functions: n, rssBytes, emptyRssBytes, loadAllMs, pullAllMs, firstRequestMs };
}
