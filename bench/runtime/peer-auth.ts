/**
 * Node identity's cost per forwarded request with a pool key (node-runtime/peer/pool-key.ts): the
 * forwarding node's credential (one HMAC) and the receiving node's check (parse, one HMAC, a
 * constant-time compare), in µs, median and spread of a few runs. The ServiceAccount token path's
 * cache hit and miss are measured against the real API server by
 * test/integration/node-runtime/peer-identity.test.ts. Run: node bench/runtime/peer-auth.ts
 */
import { PoolKeyAuth } from '../../node-runtime/peer/pool-key.ts';
import type { PeerClaim } from '../../node-runtime/peer/peer-auth.ts';

const RUNS = 7;
const N = 20_000;

const auth = new PoolKeyAuth(Buffer.from('bench pool key of at least thirty-two bytes'));
const claim: PeerClaim = { by: 'node-a', backend: 'edge/echo', method: 'POST', url: '/api/orders?id=42', host: 'apps.example' };

/** Wall µs per op, and CPU µs per op (this process's user + system time: less skewed on a shared machine). */
async function perOp(op: () => Promise<unknown>): Promise<[number, number]> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await op();
  const cpu = process.cpuUsage(c0);
  return [Number(process.hrtime.bigint() - t0) / 1000 / N, (cpu.user + cpu.system) / N];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const credential = await auth.credential(claim);
const sign: [number, number][] = [];
const verify: [number, number][] = [];
for (let r = 0; r < RUNS; r++) {
  sign.push(await perOp(() => auth.credential(claim)));
  verify.push(await perOp(() => auth.verify(credential, claim)));
}
const fmt = (runs: [number, number][]) =>
  [0, 1].map((i) => {
    const xs = runs.map((r) => r[i]!);
    return `${i === 0 ? 'wall' : 'cpu'} ${median(xs).toFixed(2)} µs (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  }).join(', ');
console.log(`pool key credential: ${fmt(sign)}\npool key verify:     ${fmt(verify)}`);
