/**
 * SIGTERM on a real `flotilla node` process: the request in flight is answered, the pull stuck on
 * a registry that never answers is abandoned (no retry after the signal), and the process exits 0
 * within its --shutdown-grace-ms, as a DaemonSet pod must before the kubelet's SIGKILL.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wagiSleep } from '../../../node-runtime/testing/assemble.ts';
import { waitFor } from '../../harness/index.ts';
import { awaitOutput, run, type Proc } from '../operator/cli-process.ts';
import { newKey, publish, renderManifests, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';

const SLEEP_MS = 2500;
const GRACE_MS = 8000;

let work: string;
let stalled: net.Server;
/** When each request reached the stalled registry (a connection without a request is none: undici may open one ahead). */
const pulls: number[] = [];
const sockets = new Set<net.Socket>();
let node: Proc | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-shutdown-'));
  // A registry that accepts and never answers: each pull waits for its stall timeout (30 s), then retries.
  stalled = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      if (/^(GET|HEAD) \/v2\//.test(chunk.toString('latin1'))) pulls.push(Date.now());
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  node?.child.kill('SIGKILL');
  await node?.exited;
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => stalled.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

describe('flotilla node on SIGTERM', () => {
  it('answers the request in flight, abandons the stuck pull without retrying, exits 0 within the grace', async () => {
    const store = join(work, 'store');
    const key = newKey();
    const keyFile = join(work, 'cosign.pub');
    await writeFile(keyFile, key.publicPem);
    const slowRef = await publish({ kind: 'registry', registry: 'registry.local', repository: 'flotilla/slow' }, wagiSleep(SLEEP_MS), key, store);
    const { port } = stalled.address() as net.AddressInfo;
    const stuckRef = `127.0.0.1:${port}/flotilla/stuck@sha256:${'ab'.repeat(32)}`;
    const dir = join(work, 'manifests');
    await writeManifests(dir, 'functions.yaml', renderManifests([{ name: 'slow', ref: slowRef, timeoutMs: 10_000 }, { name: 'stuck', ref: stuckRef }]));
    node = run('node', [
      'node', '--manifests', dir, '--local-store', store, '--trust-key', keyFile, '--port', '0', '--admin-port', '0', '--workers', '1',
      '--cache-dir', join(work, 'cache'), '--state-dir', join(work, 'state'), '--node-name', 'edge-box', '--shutdown-grace-ms', String(GRACE_MS),
    ]);
    const url = (await awaitOutput(node, /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"Node runtime listening"/))[1]!;
    await waitFor(() => Promise.resolve(pulls.length > 0 ? true : undefined), { what: 'the pull of stuck to reach the stalled registry', timeoutMs: 15_000 });

    const started = Date.now();
    const answer = request(url, '/slow', { host: 'fn.test' });
    // The request is in the worker, sleeping, when the signal comes.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const signalledAt = Date.now();
    const outputBefore = node.output.length;
    node.child.kill('SIGTERM');

    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.body).toBe('slept\n');
    // Answered on a connection that then closes: the client's keep-alive agent does not send another on it.
    expect(res.headers.connection).toBe('close');
    await node.exited;
    const exitedAfterMs = Date.now() - signalledAt;
    expect(node.child.exitCode).toBe(0);
    // Exits once the request is answered, well within the grace: the stuck pull did not hold it.
    expect(exitedAfterMs).toBeLessThan(GRACE_MS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLEEP_MS);
    const after = node.output.slice(outputBefore);
    expect(after).toMatch(/"msg":"Draining: accepting no more requests"/);
    expect(after).not.toMatch(/Module not loaded|Shutdown grace ran out/);
    expect(pulls.filter((t) => t > signalledAt)).toEqual([]);
    console.log(`SIGTERM → exit ${exitedAfterMs} ms (request in flight ${SLEEP_MS - 500} ms more); stalled registry got ${pulls.length} request(s), none after the signal`);
  }, 60_000);
});
