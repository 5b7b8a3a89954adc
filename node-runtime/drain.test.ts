import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { trackRequests } from './drain.ts';

/** A server answering after `?ms=` milliseconds, its tracker, and a keep-alive client. */
async function slowServer() {
  const server = http.createServer((req, res) => setTimeout(() => res.end('done'), Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0)));
  const tracker = trackRequests(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true });
  const get = (ms: number) =>
    new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      http.get({ port, host: '127.0.0.1', path: `/?ms=${ms}`, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
        res.on('error', reject);
      }).on('error', reject);
    });
  return { server, tracker, get, agent };
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('trackRequests().drain', () => {
  it('answers the request in flight on a keep-alive connection, closes it, and resolves as soon as it is answered', async () => {
    const { tracker, get, agent } = await slowServer();
    cleanup = () => agent.destroy();
    await get(0); // a kept-alive connection exists before the slow request
    const answer = get(300);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tracker.inFlight).toBe(1);
    const started = Date.now();
    await expect(tracker.drain(5000)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(answer).resolves.toEqual({ status: 200, connection: 'close', body: 'done' });
  });

  it('cuts what is still in flight at the bound', async () => {
    const { tracker, get, agent } = await slowServer();
    cleanup = () => agent.destroy();
    const answer = get(5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await expect(tracker.drain(200)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(answer).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('with nothing in flight, resolves at once and accepts no new connection', async () => {
    const { server, tracker } = await slowServer();
    const { port } = server.address() as AddressInfo;
    await expect(tracker.drain(5000)).resolves.toBe(true);
    await expect(new Promise((resolve, reject) => http.get({ port, host: '127.0.0.1' }, resolve).on('error', reject))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
