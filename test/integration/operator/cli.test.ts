import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_TYPE, resourcePath } from '../../../kube/index.ts';
import type { Lease } from '../../../kube/index.ts';
import { createTestNamespace, harness, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';
import { crdFor, KINDS } from '../../../api/index.ts';
import { installCrds } from '../../../devenv/fixtures/crds.ts';
import { client } from './support.ts';

const MAIN = join(import.meta.dirname, '../../../cli/main.ts');

interface OperatorProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** Base URL printed on stderr. */
  readonly url: string;
  readonly exited: Promise<number | null>;
}

/** Runs `flotilla operator` as its own process and waits for the line saying where it serves. */
async function runOperator(ns: string, id: string): Promise<OperatorProcess> {
  const child = spawn(
    process.execPath,
    [MAIN, 'operator', '--kubeconfig', harness().kube.kubeconfig, '-n', ns, '--watch-namespace', ns, '--listen', '127.0.0.1:0', '--lease-duration', '3', '--id', id, '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /serving metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics, health on \S+\/healthz and \S+\/readyz/.exec(stderr);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`flotilla operator exited ${code} before serving:\n${stderr}`)));
  });
  return { id, child, url, exited };
}

async function leads(p: OperatorProcess): Promise<boolean> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  return /^flotilla_operator_leader 1$/m.test(text);
}

describe('flotilla operator (processes)', () => {
  let ns: TestNamespace;
  const api = client();
  const procs: OperatorProcess[] = [];
  const lease = () => api.request<Lease>({ method: 'GET', path: resourcePath(LEASE_TYPE, { namespace: ns.name, name: 'flotilla-operator' }) });
  beforeAll(async () => {
    ns = await createTestNamespace('operator-cli');
    await installCrds(api, KINDS.map((k) => crdFor(k)));
  });
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await ns.delete();
  });

  it('two replicas: one leader; killing it hands over within the lease; SIGTERM releases the Lease', async () => {
    procs.push(await runOperator(ns.name, 'replica-1'), await runOperator(ns.name, 'replica-2'));
    for (const p of procs) expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
    const leader = await waitFor(
      async () => {
        const flags = await Promise.all(procs.map(leads));
        return flags.filter(Boolean).length === 1 ? procs[flags.indexOf(true)] : undefined;
      },
      { what: 'exactly one leader', timeoutMs: 20_000 },
    );
    const standby = procs.find((p) => p !== leader);
    if (!leader || !standby) throw new Error('expected two replicas');
    expect((await lease()).spec?.holderIdentity).toBe(leader.id);
    await waitFor(async () => ((await fetch(`${standby.url}/readyz`)).status === 200 ? true : undefined), { what: 'the standby to be ready (caches synced)', timeoutMs: 10_000 });
    expect(await leads(standby)).toBe(false);

    const killedAt = Date.now();
    leader.child.kill('SIGKILL'); // no release: the standby must wait the Lease out
    await waitFor(async () => ((await leads(standby)) ? true : undefined), { what: 'the standby to take over', timeoutMs: 15_000, intervalMs: 100 });
    const handover = Date.now() - killedAt;
    // The standby must wait the 3 s Lease out. Measured from the kill, the last renewal may precede it
    // by up to one retry period (400 ms) and the standby notices on its own retry tick, so the sound
    // lower bound is lease - 2 x retry = 2.2 s; a takeover without waiting would take ~0.1-0.4 s.
    expect(handover).toBeGreaterThanOrEqual(2200);
    expect(handover).toBeLessThan(10_000);
    expect((await lease()).spec?.holderIdentity).toBe(standby.id);

    standby.child.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
    expect((await lease()).spec?.holderIdentity ?? null).toBeNull();
  });
});
