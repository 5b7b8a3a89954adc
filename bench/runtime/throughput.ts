/**
 * Throughput and latency under load: wrk against a bare node:http hello world and against
 * `flotilla serve` (its listener threads serve the port and run the hello inline, the default) of a
 * trivial WAGI hello with 2 and with 1 worker threads, alternating, same Node, same wrk settings. Each server runs in its own process so none shares a core budget with
 * the bench script. Afterwards each flotilla process's /metrics gives the node-internal share: the
 * mean invocation time (inline: the run; through the main thread: pool queue + hop + run) over the
 * mean request latency wrk saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { toolPath } from '../../devenv/tools/paths.ts';
import { wagiHello } from '../../node-runtime/testing/assemble.ts';
import { freePort } from '../../devenv/servers/process.ts';

export interface WrkResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

const ROOT = join(import.meta.dirname, '..', '..');

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '';
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '';
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50Ms: toMs(p50), p99Ms: toMs(p99), non2xx };
}

async function startProcess(args: string[], readyText: string | RegExp): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (c: Buffer) => {
      seen += c.toString();
      if (typeof readyText === 'string' ? seen.includes(readyText) : readyText.test(seen)) resolve(seen);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${seen}`)));
  });
  return { child, output };
}

async function wrk(url: string, seconds: number, connections: number): Promise<WrkResult> {
  const { stdout } = await execa(toolPath('wrk'), ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  return parseWrk(stdout);
}

export interface ThroughputResult {
  readonly bare: WrkResult[];
  /** `flotilla serve` with 2 worker threads (the default on 2 cores). */
  readonly flotilla: WrkResult[];
  /** The same with 1 worker thread. */
  readonly oneWorker: WrkResult[];
  /** Mean invocation time over mean request latency, per flotilla process (2 workers, 1 worker). */
  readonly nodeInternalShare: { readonly flotilla: number; readonly oneWorker: number };
  /** 1/5/15-minute load average when the runs started: the machine may be shared. */
  readonly loadAverage: readonly number[];
}

/** Mean of a Prometheus histogram from its _sum and _count samples in a /metrics text (warm-up included). */
function histogramMean(metrics: string, name: string): number {
  const sample = (suffix: string) => [...metrics.matchAll(new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  return sample('sum') / sample('count');
}

/** Alternates bare, flotilla (2 workers) and flotilla (1 worker) runs `runs` times. */
export async function measureThroughput(workDir: string, runs: number, seconds: number, connections: number, log: (l: string) => void): Promise<ThroughputResult> {
  const wasm = join(workDir, 'hello.wasm');
  await writeFile(wasm, wagiHello());
  const barePort = await freePort();
  const bare = await startProcess(['bench/runtime/bare-server.ts', String(barePort)], 'ready');
  const serve = async (workers: number) => {
    const port = await freePort();
    const { child, output } = await startProcess(['cli/main.ts', 'serve', wasm, '--port', String(port), '--workers', String(workers), '--log-level', 'warn'], /admin (http:\S+)\)/);
    return { child, url: `http://127.0.0.1:${port}/`, admin: /admin (http:\S+)\)/.exec(output)![1]! };
  };
  const two = await serve(2);
  const one = await serve(1);
  const loadAverage = loadavg().map((l) => Math.round(l * 100) / 100);
  const out = { bare: [] as WrkResult[], flotilla: [] as WrkResult[], oneWorker: [] as WrkResult[] };
  const latencies = { flotilla: [] as number[], oneWorker: [] as number[] };
  try {
    // Warm all three (JIT tier-up, wasm tier-up in the workers).
    for (const url of [`http://127.0.0.1:${barePort}/`, two.url, one.url]) await wrk(url, 2, connections);
    for (let i = 0; i < runs; i++) {
      const b = await wrk(`http://127.0.0.1:${barePort}/`, seconds, connections);
      const f = await wrk(two.url, seconds, connections);
      const f1 = await wrk(one.url, seconds, connections);
      log(`throughput run ${i + 1}: bare ${b.rps.toFixed(0)} rps, flotilla ${f.rps.toFixed(0)} rps with 2 workers (p99 ${f.p99Ms} ms, non-2xx ${f.non2xx}), ${f1.rps.toFixed(0)} rps with 1`);
      out.bare.push(b);
      out.flotilla.push(f);
      out.oneWorker.push(f1);
      // Mean latency at `connections` in flight (Little's law).
      latencies.flotilla.push(connections / f.rps);
      latencies.oneWorker.push(connections / f1.rps);
    }
    const share = async (admin: string, lat: number[]) => histogramMean(await (await fetch(`${admin}/metrics`)).text(), 'flotilla_invocation_duration_seconds') / (lat.reduce((a, b) => a + b, 0) / lat.length);
    return { ...out, nodeInternalShare: { flotilla: await share(two.admin, latencies.flotilla), oneWorker: await share(one.admin, latencies.oneWorker) }, loadAverage };
  } finally {
    bare.child.kill('SIGTERM');
    two.child.kill('SIGTERM');
    one.child.kill('SIGTERM');
  }
}
