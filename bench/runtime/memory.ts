/**
 * Memory per deployed idle function: a node in this process is given N functions with distinct
 * modules (the echo example with a unique custom section each, so nothing is shared but the
 * code), each invoked once and then left idle (one warm instance and its snapshot in one worker).
 * Resident memory before and after, divided by N; the same for N functions never invoked.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildExample } from '../../examples/functions/build.ts';
import { startNode } from '../../node-runtime/node.ts';
import type { DesiredState, FunctionDef } from '../../node-runtime/resolve/desired-state.ts';
import { parseReference } from '../../artifacts/index.ts';
import { encodeSection } from '../../node-runtime/compile/wasm-binary.ts';
import { newKey, publish } from '../../devenv/fixtures/modules.ts';
import { request } from '../../devenv/fixtures/http-client.ts';

export interface MemoryResult {
  readonly functions: number;
  /** Bytes of RSS per function after one invocation each. */
  readonly perIdleFunction: number;
  /** Bytes of RSS per function deployed (verified, compiled) but never invoked. */
  readonly perDeployedFunction: number;
  readonly baselineRss: number;
}

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

const settle = () => new Promise((r) => setTimeout(r, 300));

export async function measureMemory(workDir: string, n: number, log: (l: string) => void): Promise<MemoryResult> {
  const key = newKey();
  const store = join(workDir, 'store');
  const echo = new Uint8Array(await readFile(await buildExample('echo')));
  const refs: string[] = [];
  for (let i = 0; i < n; i++) {
    // A custom section named "flotilla-bench" holding i: valid anywhere, changes the digest only.
    const unique = encodeSection(0, [14, ...new TextEncoder().encode('flotilla-bench'), i & 0xff, i >> 8]);
    const wasm = new Uint8Array(echo.length + unique.length);
    wasm.set(echo);
    wasm.set(unique, echo.length);
    refs.push(await publish({ kind: 'registry', registry: 'bench.local', repository: `mem/fn-${i}` }, wasm, key, store));
  }
  let apply: (s: DesiredState) => void = () => undefined;
  const node = await startNode({
    source: { start: (a) => { apply = a; return Promise.resolve(a({ functions: new Map(), routes: [], triggers: [] })); }, close: () => Promise.resolve() },
    logger: pino({ level: 'silent' }),
    port: 0,
    cacheDir: join(workDir, 'mem-cache'),
    trust: { keys: [key.publicPem], identities: [] },
    pull: { localStore: store },
    workers: 2,
  });
  try {
    await settle();
    const before = rss();
    const functions = new Map<string, FunctionDef>();
    refs.forEach((ref, i) => {
      const parsed = parseReference(ref);
      functions.set(`mem/fn-${i}`, { key: `mem/fn-${i}`, module: { kind: 'oci', ref: parsed, digest: parsed.digest!, text: ref }, memoryPages: 256, timeoutMs: 5000, concurrency: 4, env: [], reuse: false, grants: {} });
    });
    const routes = [...functions.keys()].map((k) => ({ key: k, host: '*', pathPrefix: `/${k.split('/')[1]}`, methods: [], backends: [{ functionKey: k, weight: 100 }], timeoutMs: 10_000 }));
    apply({ functions, routes, triggers: [] });
    for (;;) {
      const ready = await request(node.adminUrl, '/readyz');
      if (ready.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await settle();
    const deployed = rss();
    for (let i = 0; i < n; i++) {
      const reply = await request(node.url, `/fn-${i}`, { host: 'bench.test', body: 'x' });
      if (reply.status !== 200) throw new Error(`fn-${i}: expected 200, got ${reply.status} ${reply.body}`);
    }
    await settle();
    const idle = rss();
    log(`memory: rss ${Math.round(before / 2 ** 20)} MiB empty, ${Math.round(deployed / 2 ** 20)} MiB with ${n} deployed, ${Math.round(idle / 2 ** 20)} MiB after one invocation each`);
    return { functions: n, perDeployedFunction: (deployed - before) / n, perIdleFunction: (idle - before) / n, baselineRss: before };
  } finally {
    await node.close();
  }
}
