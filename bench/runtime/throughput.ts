/**
 * Throughput and latency under load: wrk against a bare node:http hello world and against
 * `flotilla serve` of a trivial WAGI hello, alternating, same Node, same wrk settings. Each
 * server runs in its own process so neither shares a core budget with the bench script.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
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

async function startProcess(args: string[], readyText: string | RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (c: Buffer) => {
      seen += c.toString();
      if (typeof readyText === 'string' ? seen.includes(readyText) : readyText.test(seen)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${seen}`)));
  });
  return child;
}

async function wrk(url: string, seconds: number, connections: number): Promise<WrkResult> {
  const { stdout } = await execa(toolPath('wrk'), ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  return parseWrk(stdout);
}

export interface ThroughputResult {
  readonly bare: WrkResult[];
  readonly flotilla: WrkResult[];
}

/** Alternates bare and flotilla runs `runs` times. */
export async function measureThroughput(workDir: string, runs: number, seconds: number, connections: number, log: (l: string) => void): Promise<ThroughputResult> {
  const wasm = join(workDir, 'hello.wasm');
  await writeFile(wasm, wagiHello());
  const barePort = await freePort();
  const flotillaPort = await freePort();
  const bare = await startProcess(['bench/runtime/bare-server.ts', String(barePort)], 'ready');
  const node = await startProcess(['cli/main.ts', 'serve', wasm, '--port', String(flotillaPort), '--log-level', 'warn'], 'serving');
  const out: ThroughputResult = { bare: [], flotilla: [] };
  try {
    // Warm both (JIT tier-up, wasm tier-up in the workers).
    await wrk(`http://127.0.0.1:${barePort}/`, 2, connections);
    await wrk(`http://127.0.0.1:${flotillaPort}/`, 2, connections);
    for (let i = 0; i < runs; i++) {
      const b = await wrk(`http://127.0.0.1:${barePort}/`, seconds, connections);
      const f = await wrk(`http://127.0.0.1:${flotillaPort}/`, seconds, connections);
      log(`throughput run ${i + 1}: bare ${b.rps.toFixed(0)} rps, flotilla ${f.rps.toFixed(0)} rps (p99 ${f.p99Ms} ms, non-2xx ${f.non2xx})`);
      out.bare.push(b);
      out.flotilla.push(f);
    }
  } finally {
    bare.kill('SIGTERM');
    node.kill('SIGTERM');
  }
  return out;
}
