/**
 * Cold start, deploy to first response: a running node is handed a desired state with a new
 * function and the clock runs until its first 200. Two cases: the module is in the disk cache but
 * not compiled (verify + compile + instantiate + run), and the module must be pulled from a real
 * registry on loopback and verified first. The baseline is the same function (the echo example,
 * built natively) started in a runc container in the same run.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildExample } from '../../examples/functions/build.ts';
import { startNode } from '../../node-runtime/node.ts';
import type { DesiredState, FunctionDef } from '../../node-runtime/resolve/desired-state.ts';
import { parseReference } from '../../artifacts/index.ts';
import { startRegistry } from '../../devenv/servers/registry.ts';
import { newKey, publish } from '../../devenv/fixtures/modules.ts';
import { request } from '../../devenv/fixtures/http-client.ts';
import { prepareRuncBundle, runRuncOnce } from '../runc/bundle.ts';

export interface ColdStartResult {
  /** Milliseconds, one sample per run. */
  readonly cachedNotCompiled: number[];
  readonly pulledAndVerified: number[];
  readonly runc: number[];
}

export async function measureColdStart(workDir: string, runs: number, log: (l: string) => void): Promise<ColdStartResult> {
  await mkdir(join(workDir, 'logs'), { recursive: true });
  const registry = await startRegistry(join(workDir, 'registry'), join(workDir, 'logs'));
  const key = newKey();
  const wasm = new Uint8Array(await readFile(await buildExample('echo')));
  let apply: (s: DesiredState) => void = () => undefined;
  const node = await startNode({
    source: { start: (a) => { apply = a; return Promise.resolve(a({ functions: new Map(), routes: [], triggers: [] })); }, close: () => Promise.resolve() },
    logger: pino({ level: 'silent' }),
    port: 0,
    cacheDir: join(workDir, 'cache'),
    trust: { keys: [key.publicPem], identities: [] },
    workers: 2,
  });
  const out: ColdStartResult = { cachedNotCompiled: [], pulledAndVerified: [], runc: [] };
  const functions = new Map<string, FunctionDef>();
  const deploy = async (name: string, ref: string, memoryPages: number): Promise<number> => {
    const parsed = parseReference(ref);
    const fn: FunctionDef = { key: `bench/${name}`, module: { kind: 'oci', ref: parsed, digest: parsed.digest!, text: ref }, memoryPages, timeoutMs: 5000, concurrency: 4, env: [], reuse: false, grants: {} };
    functions.set(fn.key, fn);
    const routes = [...functions.values()].map((f) => ({ key: f.key, host: '*', pathPrefix: `/${f.key.split('/')[1]}`, methods: [], backends: [{ functionKey: f.key, weight: 100 }], timeoutMs: 10_000 }));
    const t0 = performance.now();
    apply({ functions: new Map(functions), routes, triggers: [] });
    const reply = await request(node.url, `/${name}`, { host: 'bench.test' });
    const ms = performance.now() - t0;
    if (reply.status !== 200) throw new Error(`cold start of ${name}: expected 200, got ${reply.status} ${reply.body}`);
    return ms;
  };
  try {
    const bundle = await prepareRuncBundle({ log });
    await runRuncOnce(bundle.bundleDir); // warm the page cache like the wasm side's warm-up
    // Warm-up deploy (JIT of the node's own code paths), not counted.
    const warm = await publish({ kind: 'registry', registry: registry.host, repository: 'bench/warm' }, wasm, key);
    await deploy('warm', warm, 256);
    for (let i = 0; i < runs; i++) {
      // A new repository per run: a new manifest digest, so nothing is cached on the node.
      const ref = await publish({ kind: 'registry', registry: registry.host, repository: `bench/echo-${i}` }, wasm, key);
      const pulled = await deploy(`pulled-${i}`, ref, 256);
      // Same digest, new memory limit: the disk cache has it, the compiled-module cache does not.
      const cached = await deploy(`cached-${i}`, ref, 128 + i);
      const r = (await runRuncOnce(bundle.bundleDir)).runMs;
      log(`cold start run ${i + 1}: cached-not-compiled ${cached.toFixed(2)} ms, pulled+verified ${pulled.toFixed(2)} ms, runc ${r.toFixed(1)} ms`);
      out.cachedNotCompiled.push(cached);
      out.pulledAndVerified.push(pulled);
      out.runc.push(r);
    }
  } finally {
    await node.close();
    await registry.stop();
  }
  return out;
}
