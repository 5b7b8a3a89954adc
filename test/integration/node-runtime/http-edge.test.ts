/**
 * The node's HTTP edge against a hostile client, on a real node serving real example functions
 * (hello, echo, misbehave) from a manifest directory: forwarding marks a client sends are ignored
 * and never reach a function, request headers become CGI variables without aliasing or
 * HTTP_PROXY, the node's own paths live on the admin port only, an over-limit chunked body
 * gets its 413 before the connection closes, and instance reuse never serves a request without
 * its body.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import type { RunningNode } from '../../../node-runtime/node.ts';
import { newKey, publish, renderManifests, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request, type Reply } from '../../../devenv/fixtures/http-client.ts';
import { startManifestNode } from './node-support.ts';

const HOST = 'registry.local';
const MAX_REQUEST_BYTES = 4096;
let work: string;
let node: RunningNode;
const digests: Record<string, string> = {};

/** hello takes every request of /pinned; echo is a backend of weight 0. */
const PINNED = `apiVersion: flotilla.dev/v1alpha1
kind: FunctionRoute
metadata:
  name: pinned
  namespace: edge
spec:
  host: "*.test"
  pathPrefix: /pinned
  backends:
    - functionRef: hello
      weight: 100
    - functionRef: echo
      weight: 0
`;

const call = (path: string, o: Parameters<typeof request>[2] = {}): Promise<Reply> => request(node.url, path, { host: 'fn.test', ...o });

/** The raw answer to `head` + `chunks` written on a fresh connection, read until the node closes it. */
function rawExchange(port: number, head: string, chunks: readonly Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    // The node may close while chunks are still going out: what it answered is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
    socket.setTimeout(10_000, () => reject(new Error(`no close within 10 s; got ${JSON.stringify(Buffer.concat(got).toString('latin1').slice(0, 200))}`)));
    socket.write(head);
    for (const c of chunks) socket.write(`${c.length.toString(16)}\r\n${c.toString('latin1')}\r\n`);
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-http-edge-'));
  const store = join(work, 'store');
  const trusted = newKey();
  const wasm = async (name: string) => new Uint8Array(await readFile(await buildExample(name)));
  const repo = (name: string) => ({ kind: 'registry' as const, registry: HOST, repository: `flotilla/${name}` });
  const fns = [];
  for (const name of ['hello', 'echo', 'misbehave']) {
    const ref = await publish(repo(name), await wasm(name), trusted, store);
    digests[name] = ref.slice(ref.indexOf('@') + 1);
    fns.push({ name, ref, memoryPages: 64, timeoutMs: 10_000, concurrency: 4 });
  }
  // echo with instance reuse: a command that reads its body, which cannot be entered again.
  fns.push({ name: 'echo-reuse', ref: fns[1]!.ref, memoryPages: 64, timeoutMs: 10_000, concurrency: 4, reuse: true });
  const manifests = join(work, 'manifests');
  await writeManifests(manifests, 'functions.yaml', renderManifests(fns));
  await writeManifests(manifests, 'routes.yaml', PINNED);
  node = await startManifestNode({ work, manifests, store, trustedPem: trusted.publicPem, maxRequestBytes: MAX_REQUEST_BYTES });
}, 600_000);

afterAll(async () => {
  await node?.close();
  await rm(work, { recursive: true, force: true });
});

describe('forwarding marks from a client', () => {
  it('cannot pick a weight-0 backend: x-flotilla-backend and x-flotilla-forwarded-by are ignored on the tenant port', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await call('/pinned', { headers: { 'x-flotilla-forwarded-by': 'some-node', 'x-flotilla-backend': 'edge/echo' } });
      expect(r.status).toBe(200);
      expect(r.headers['x-flotilla-digest']).toBe(digests.hello);
    }
  });

  it('never reach the function', async () => {
    const r = await call('/echo', { body: 'b', headers: { 'x-flotilla-forwarded-by': 'n', 'x-flotilla-backend': 'edge/echo', 'x-flotilla-anything': 'v', 'x-other': 'kept' } });
    expect(r.status).toBe(200);
    expect(r.body).toContain('header: HTTP_X_OTHER=kept');
    expect(r.body).not.toMatch(/HTTP_X_FLOTILLA/);
  });
});

describe('CGI variables from request headers', () => {
  it('give X-Auth-User one variable a client cannot alias with X_Auth_User, and never HTTP_PROXY', async () => {
    const r = await call('/echo', { body: 'b', headers: { 'X_Auth_User': 'client-set', 'X-Auth-User': 'proxy-set', Proxy: 'http://evil.example:3128' } });
    expect(r.status).toBe(200);
    expect(r.body.match(/^header: HTTP_X_AUTH_USER=.*$/gm)).toEqual(['header: HTTP_X_AUTH_USER=proxy-set']);
    expect(r.body).not.toContain('client-set');
    expect(r.body).not.toContain('HTTP_PROXY');
  });
});

describe('the node\'s own paths', () => {
  it('are served on the admin port only; on the tenant port they are routes like any other, for any Host', async () => {
    expect((await request(node.adminUrl, '/healthz')).status).toBe(200);
    expect((await request(node.adminUrl, '/readyz')).status).toBe(200);
    expect((await request(node.adminUrl, '/metrics')).body).toContain('flotilla_http_requests_total');
    for (const host of ['fn.test', 'localhost', '127.0.0.1', 'anything.example']) {
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        const r = await request(node.url, path, { host });
        expect(r.status, `${host}${path}`).toBe(404);
        expect(r.headers['x-flotilla-error']).toBe('RouteNotFound');
      }
    }
  });
});

describe('request size', () => {
  it('answers an over-limit chunked body with 413 RequestTooLarge, then closes the connection', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: fn.test\r\nTransfer-Encoding: chunked\r\n\r\n';
    const answer = await rawExchange(node.port, head, Array.from({ length: 16 }, () => Buffer.alloc(1024, 0x61)));
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('"error":"RequestTooLarge"');
  });

  it('takes a chunked body within the limit', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: fn.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    const answer = await rawExchange(node.port, head, [Buffer.from('abc'), Buffer.from('def'), Buffer.alloc(0)]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/body:\nabcdef/);
  });
});

describe('instance reuse', () => {
  it('is refused for a command that reads its body, naming the annotation, instead of losing every body after the first', async () => {
    for (const body of ['one', 'two']) {
      const r = await call('/echo-reuse', { body });
      expect(r.headers['x-flotilla-error']).toBe('UnsupportedModule');
      expect(JSON.parse(r.body)).toMatchObject({ message: expect.stringContaining('flotilla.dev/instance-reuse: "true"') as unknown });
    }
    // The same module without reuse gets each body.
    for (const body of ['one', 'two']) expect((await call('/echo', { body })).body).toMatch(new RegExp(`body:\\n${body}$`));
  });
});
