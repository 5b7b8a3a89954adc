/**
 * Pre-pull of dormant modules on a real node runtime in-process, modules in the harness registry.
 * Two nodes get the same assignments (through the node's own mapping, desiredStateFromAssignment):
 * one pre-pulls dormant modules (the default), the other has it turned off. Asserted on the state
 * of the world: the pre-pulling node's disk cache holds each dormant module, verified, before any
 * request, and compiled ahead (the loader's compile policy: it fits the compiled-module cache) but
 * placed nowhere (no report); a module that does not verify is not
 * cached; the other node's cache stays empty. Then each function is woken the way the operator
 * does it (a held request, then the function moves from dormant to the node's functions) on both
 * nodes, and the cold starts are printed side by side: the control plane's part (~60 ms, see
 * test/integration/operator/scale-from-zero.test.ts) is left out on both.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssignedFunction, AssignedRoute, NodeAssignment } from '../../../api/index.ts';
import { compilePolicy } from '../../../artifacts/index.ts';
import { buildExample } from '../../../examples/functions/build.ts';
import { readEntryWasm } from '../../../node-runtime/loader/module-loader.ts';
import { startNode, type RunningNode } from '../../../node-runtime/node.ts';
import { verifyModule } from '../../../node-runtime/verify/verify.ts';
import { harness, uniqueName, waitFor } from '../../harness/index.ts';
import { newKey, publish } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';
import { DrivenAssignments, assignedFunction, assignedRoute, metricSample } from './node-support.ts';

const HOST = 'apps.example';
const NS = 'edge';
/** Functions woken one after the other: distinct digests, so the node without pre-pull pulls each. */
const ROUNDS = 5;

interface Line {
  msg: string;
  digest?: string;
  code?: string;
}

describe('pre-pull of dormant modules: two node runtimes, one with pre-pull off', () => {
  const trusted = newKey();
  let work: string;
  const signed: AssignedFunction[] = [];
  let untrusted: AssignedFunction;
  let routes: AssignedRoute[] = [];
  const nodes: Record<'pre' | 'off', { node: RunningNode; source: DrivenAssignments; cacheDir: string; logs: Line[] }> = {} as never;
  const numbers: Record<'prePulled' | 'notPrePulled', number[]> = { prePulled: [], notPrePulled: [] };

  const assignment = (node: string, placed: readonly string[]): NodeAssignment => {
    const all = [...signed, untrusted];
    return { node, functions: all.filter((f) => placed.includes(f.name)), dormant: all.filter((f) => !placed.includes(f.name)), remote: [], routes, triggers: [] };
  };
  const entryDir = (which: 'pre' | 'off', digest: string) => join(nodes[which].cacheDir, digest.replace(':', '-'));
  const entries = async (which: 'pre' | 'off') => (await readdir(nodes[which].cacheDir)).filter((n) => n.startsWith('sha256-')).sort();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'flotilla-prepull-'));
    const wasm = new Uint8Array(await readFile(await buildExample('hello')));
    const repo = uniqueName('prepull');
    const registry = harness().registry.host;
    const fn = async (name: string, signer = trusted): Promise<AssignedFunction> => {
      const ref = await publish({ kind: 'registry', registry, repository: `${repo}/${name}` }, wasm, signer);
      return assignedFunction(NS, name, ref, { limits: { memoryPages: 32, timeoutMs: 2000, concurrency: 2 } });
    };
    for (let i = 0; i < ROUNDS; i++) signed.push(await fn(`hello-${i}`));
    untrusted = await fn('stranger', newKey());
    routes = [...signed, untrusted].map((f) => assignedRoute(NS, f.name, HOST, [[f.name, 100]], { timeoutMs: 2000 }));
    for (const which of ['pre', 'off'] as const) {
      const logs: Line[] = [];
      const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(JSON.parse(chunk.toString()) as Line), done()) }));
      const source = new DrivenAssignments();
      const cacheDir = join(work, which, 'cache');
      const node = await startNode({ source, logger, port: 0, cacheDir, trust: { keys: [trusted.publicPem], identities: [] }, workers: 1, nodeName: which, prePullDormant: which === 'pre' });
      nodes[which] = { node, source, cacheDir, logs };
    }
  }, 120_000);

  afterAll(async () => {
    const prePullMs = nodes.pre?.logs.filter((l) => l.msg === 'Pre-pulled dormant module').map((l) => (l as Line & { ms: number }).ms) ?? [];
    for (const n of Object.values(nodes)) await n.node.close();
    if (work) await rm(work, { recursive: true, force: true });
    const ms = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
    console.log(`pre-pull: node-side cold start (function placed → first answer) with pre-pull ${ms(numbers.prePulled)} ms; without ${ms(numbers.notPrePulled)} ms; background pre-pull per module ${ms(prePullMs)} ms`);
  });

  it('caches and compiles every dormant module that verifies, before any request, and places none of them', async () => {
    const started = performance.now();
    for (const which of ['pre', 'off'] as const) nodes[which].source.set(assignment(which, []));
    const want = signed.map((f) => `sha256-${f.digest.slice('sha256:'.length)}`).sort();
    await waitFor(async () => ((await entries('pre')).length === want.length ? true : undefined), { what: 'the dormant modules in the pre-pulling node cache', timeoutMs: 20_000, describe: async () => JSON.stringify({ entries: await entries('pre'), logs: nodes.pre.logs.slice(-5) }) });
    console.log(`pre-pull: ${ROUNDS} dormant modules cached ${Math.round(performance.now() - started)} ms after the assignment`);
    expect(await entries('pre')).toEqual(want);
    // Each entry is complete and verifies against the trust policy, from disk, as a load would check it.
    const policy = compilePolicy({ keys: [trusted.publicPem], identities: [] });
    for (const f of signed) {
      await expect(verifyModule(entryDir('pre', f.digest), f.digest, policy)).resolves.toBeDefined();
      expect((await readEntryWasm(entryDir('pre', f.digest), f.digest)).byteLength).toBeGreaterThan(0);
    }
    // The module signed by a key the node does not trust never entered the cache; the refusal is logged.
    await waitFor(() => Promise.resolve(nodes.pre.logs.find((l) => l.digest === untrusted.digest && l.code === 'SignatureRejected')), { what: 'the refused pre-pull logged', timeoutMs: 10_000 });
    expect(await entries('pre')).not.toContain(`sha256-${untrusted.digest.slice('sha256:'.length)}`);
    // Nothing placed: no report; each module compiled once ahead of its first request; and the node with pre-pull off fetched nothing.
    expect(nodes.pre.node.report()).toEqual({});
    await waitFor(async () => ((await metricSample(nodes.pre.node.adminUrl, 'flotilla_module_load_stage_duration_seconds_count', { stage: 'compile' })) === ROUNDS ? true : undefined), { what: 'every pre-pulled module compiled', timeoutMs: 10_000 });
    expect(await entries('off')).toEqual([]);
    // The metrics say the same: every signed module pulled once, the untrusted one failed (and is retried), none skipped; nothing on the other node.
    expect(await metricSample(nodes.pre.node.adminUrl, 'flotilla_prepulls_total', { outcome: 'pulled' })).toBe(ROUNDS);
    expect(await metricSample(nodes.pre.node.adminUrl, 'flotilla_prepulls_total', { outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(await metricSample(nodes.pre.node.adminUrl, 'flotilla_prepulls_total', { outcome: 'skipped' })).toBeUndefined();
    expect(await metricSample(nodes.off.node.adminUrl, 'flotilla_prepulls_total')).toBeUndefined();
  });

  it('a cold start from a pre-pulled module answers; both nodes are woken alike and the times printed', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const name = signed[i]!.name;
      for (const which of ['pre', 'off'] as const) {
        const { node, source } = nodes[which];
        const held = request(node.url, `/${name}`, { host: HOST });
        await waitFor(() => Promise.resolve(node.report()[`${NS}/${name}`]?.state === 'Wanted' ? true : undefined), { what: `${which} to hold a request for ${name}`, timeoutMs: 5000 });
        expect(await metricSample(node.adminUrl, 'flotilla_held_requests', { function: `${NS}/${name}` })).toBe(1);
        const placed = performance.now();
        source.set(assignment(which, signed.slice(0, i + 1).map((f) => f.name)));
        const r = await held;
        const ms = performance.now() - placed;
        expect(r.status, r.body).toBe(200);
        expect(r.body).toContain('Hello from Flotilla');
        numbers[which === 'pre' ? 'prePulled' : 'notPrePulled'].push(ms);
      }
    }
    // Woken: now both caches hold the placed modules; the pre-pulled ones were not pulled again.
    expect((await entries('off')).length).toBe(ROUNDS);
    expect(nodes.pre.logs.filter((l) => l.msg === 'Pre-pulled dormant module')).toHaveLength(ROUNDS);
    // Each function's one held request is counted served, its hold time observed once (well under the 30 s limit), and nothing is held now.
    for (const which of ['pre', 'off'] as const) {
      const { adminUrl: url } = nodes[which].node;
      for (const f of signed) {
        const fn = `${NS}/${f.name}`;
        expect(await metricSample(url, 'flotilla_held_requests_total', { function: fn, outcome: 'served' })).toBe(1);
        expect(await metricSample(url, 'flotilla_cold_start_wait_seconds_count', { function: fn })).toBe(1);
        const waited = (await metricSample(url, 'flotilla_cold_start_wait_seconds_sum', { function: fn }))!;
        expect(waited).toBeGreaterThan(0);
        expect(waited).toBeLessThan(30);
      }
      expect(await metricSample(url, 'flotilla_held_requests')).toBeUndefined();
      expect(await metricSample(url, 'flotilla_held_requests_total', { outcome: 'timeout' })).toBeUndefined();
    }
    expect(await metricSample(nodes.pre.node.adminUrl, 'flotilla_prepulls_total', { outcome: 'pulled' })).toBe(ROUNDS);
  });
});
