import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeRuntimeError } from '../errors.ts';
import { Forwarder, endToEnd, endpointOrder, forwardUrl, forwardedRequestHeaders, relayedResponseHeaders, relayedResult } from './forward.ts';
import { failureClass } from './route-policy-retry.ts';

describe('forwarding: pure parts', () => {
  it('strips hop-by-hop headers, those the Connection header names too, and keeps the Host routes match on', () => {
    const h = endToEnd({ host: 'shop.example', connection: 'keep-alive, x-secret-hop', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', upgrade: 'h2c', 'x-secret-hop': '1', accept: 'text/plain' });
    expect(h).toEqual({ host: 'shop.example', accept: 'text/plain' });
  });

  it('marks a forwarded request with this node and the chosen backend, whatever the client claimed', () => {
    const h = forwardedRequestHeaders({ host: 'h', 'content-length': '99', 'x-flotilla-forwarded-by': 'liar', 'x-flotilla-backend': 'ns/other' }, 'n1', 'ns/canary', 3);
    expect(h).toEqual({ host: 'h', 'x-flotilla-forwarded-by': 'n1', 'x-flotilla-backend': 'ns/canary', 'content-length': 3 });
  });

  it('relays an answer as it came (served-by, digest), marked with the forwarding node', () => {
    const h = relayedResponseHeaders({ 'x-flotilla-served-by': 'n2', 'x-flotilla-digest': 'sha256:a', connection: 'close', 'content-length': '5' }, 'n1', 5);
    expect(h).toEqual({ 'x-flotilla-served-by': 'n2', 'x-flotilla-digest': 'sha256:a', 'x-flotilla-forwarded-by': 'n1', 'content-length': 5 });
  });

  it('takes endpoints in turns, each once', () => {
    expect(endpointOrder(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(endpointOrder(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
    expect(endpointOrder([], 3)).toEqual([]);
  });

  it('joins an endpoint (with or without a path) and the request path, and refuses other schemes', () => {
    expect(forwardUrl('http://10.0.0.2:8080', '/api/x?q=1').href).toBe('http://10.0.0.2:8080/api/x?q=1');
    expect(forwardUrl('http://10.0.0.2:8080/edge/', '/x').href).toBe('http://10.0.0.2:8080/edge/x');
    expect(() => forwardUrl('https://10.0.0.2', '/x')).toThrow(/expected an http: node endpoint/);
  });

  it('sees a remote failure by its code, so policies treat it as a local one', () => {
    expect(relayedResult({ status: 504, headers: { 'x-flotilla-error': 'Timeout' } })).toEqual({ ok: false, code: 'Timeout' });
    expect(relayedResult({ status: 503, headers: { 'x-flotilla-error': 'NotPlacedHere' } })).toEqual({ ok: false, code: 'NotPlacedHere' });
    expect(relayedResult({ status: 500, headers: { 'x-flotilla-error': 'NoSuchCode' } })).toEqual({ ok: true, status: 500 });
    expect(relayedResult({ status: 201, headers: {} })).toEqual({ ok: true, status: 201 });
    // No node reached, or the one reached no longer runs it: the function never saw the request.
    expect(failureClass({ ok: false, code: 'ForwardFailed' })).toBe('connect-failure');
    expect(failureClass({ ok: false, code: 'NotPlacedHere' })).toBe('connect-failure');
  });
});

describe('Forwarder (real sockets on 127.0.0.1)', () => {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string; server: string }[] = [];
  const servers: http.Server[] = [];
  const endpoints: string[] = [];
  let closedEndpoint: string;
  const forwarder = new Forwarder('n1', 1024);

  const listen = async (name: string, handler?: http.RequestListener): Promise<string> => {
    const s = http.createServer(
      handler ??
        ((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(), server: name });
            res.writeHead(200, { 'x-flotilla-served-by': name, 'content-type': 'text/plain' }).end(`hi from ${name}`);
          });
        }),
    );
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    servers.push(s);
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    endpoints.push(await listen('n2'), await listen('n3'));
    // A port that was just free: nobody listens there.
    const gone = http.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    closedEndpoint = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    await new Promise((resolve) => gone.close(resolve));
  });
  afterAll(async () => {
    forwarder.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  const request = { method: 'POST', url: '/shop/order?x=1', headers: { host: 'shop.example', connection: 'keep-alive' }, body: Buffer.from('{"n":1}') };

  it('sends method, path and query, body and marks; takes the endpoints in turns', async () => {
    seen.length = 0;
    const a = await forwarder.forward('ns/f', endpoints, request, Date.now() + 2000);
    const b = await forwarder.forward('ns/f', endpoints, request, Date.now() + 2000);
    if (a instanceof NodeRuntimeError || b instanceof NodeRuntimeError) throw new Error('expected answers');
    expect([a.headers['x-flotilla-served-by'], b.headers['x-flotilla-served-by']]).toEqual(['n2', 'n3']);
    expect(a.body.toString()).toBe('hi from n2');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/shop/order?x=1', body: '{"n":1}', headers: { host: 'shop.example', 'x-flotilla-forwarded-by': 'n1', 'x-flotilla-backend': 'ns/f', 'content-length': '7' } });
  });

  it('skips an endpoint nobody listens on for the next one', async () => {
    const r = await forwarder.forward('ns/g', [closedEndpoint, endpoints[0]!], request, Date.now() + 2000);
    expect(r instanceof NodeRuntimeError ? r.message : r.headers['x-flotilla-served-by']).toBe('n2');
  });

  it('says ForwardFailed, naming each endpoint, when none can be reached', async () => {
    const r = await forwarder.forward('ns/h', [closedEndpoint], request, Date.now() + 2000);
    expect(r).toBeInstanceOf(NodeRuntimeError);
    expect((r as NodeRuntimeError).code).toBe('ForwardFailed');
    expect((r as NodeRuntimeError).message).toContain(closedEndpoint);
    expect(((await forwarder.forward('ns/h', [], request, Date.now() + 2000)) as NodeRuntimeError).message).toMatch(/no ready node runs it/);
  });

  it('gives up at the deadline with Timeout, and refuses an answer larger than the limit', async () => {
    const slow = await listen('slow', (_req, res) => void setTimeout(() => res.end('late'), 1000));
    const big = await listen('big', (_req, res) => res.end(Buffer.alloc(4096)));
    const started = Date.now();
    const r = await forwarder.forward('ns/slow', [slow], request, Date.now() + 150);
    expect((r as NodeRuntimeError).code).toBe('Timeout');
    expect(Date.now() - started).toBeLessThan(900);
    expect(((await forwarder.forward('ns/big', [big], request, Date.now() + 2000)) as NodeRuntimeError).code).toBe('ResponseTooLarge');
  });
});
