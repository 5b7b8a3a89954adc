/**
 * Route authentication on a real node process (`flotilla node --manifests --secrets-dir`): JWTs
 * against a JWKS the test serves over HTTP (valid, expired, wrong audience, wrong key, missing
 * token; the key rotated), API keys against the SHA-256 digests of a mounted-Secret directory, and
 * routes the node cannot enforce (mTLS, an unreachable JWKS) answering 503 and listed as degraded
 * in /readyz, never served open, not even by the open route at `/` beside them. The echo example
 * shows what the function sees: the claims the route names, never the token. Then a node with
 * tenant listeners in its workers: the auth route is refused there too, not run inline. Last, the
 * node's audit file (--audit-file): its lines verify with `flotilla audit verify`, name the module's
 * verification, its load and the denials, and an edited, removed, reordered or cut copy fails with
 * exit code 95 naming the line.
 */
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../../../examples/functions/build.ts';
import { keyDigest } from '../../../node-runtime/auth/api-keys.ts';
import type { RunningNode } from '../../../node-runtime/node.ts';
import { secretsDir } from '../../../node-runtime/auth/secrets-dir.ts';
import { waitFor } from '../../harness/index.ts';
import { awaitOutput, run, type Proc } from '../operator/cli-process.ts';
import { newKey, publish, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request, type Reply } from '../../../devenv/fixtures/http-client.ts';
import { startManifestNode } from './node-support.ts';

const ISSUER = 'https://issuer.test';
const API_KEY = 'c2VjcmV0LWtleS1vZi10aGUtYmlsbGluZy1jbGllbnQtMzI';
let work: string;
let store: string;
let keyFile: string;
let trustedPem: string;
let manifests: string;
let jwksServer: Server;
/** What the JWKS endpoint serves now. */
let served: { keys: JWK[] } = { keys: [] };
const keys: Record<'k1' | 'k2' | 'stranger', CryptoKey> = {} as never;
const publicJwk: Record<string, JWK> = {};
let proc: Proc;
let url = '';
let adminUrl = '';

function route(name: string, pathPrefix: string, auth: string): string {
  return `apiVersion: flotilla.dev/v1alpha1
kind: FunctionRoute
metadata:
  name: ${name}
  namespace: edge
spec:
  host: api.test
  pathPrefix: ${pathPrefix}
  backends:
    - functionRef: echo
      weight: 100
${auth}`;
}

async function token(kid: 'k1' | 'k2', o: { key?: CryptoKey; aud?: string; expIn?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'alice', email: 'alice@example.test' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(ISSUER)
    .setAudience(o.aud ?? 'api')
    .setIssuedAt(now - 120)
    .setExpirationTime(now + (o.expIn ?? 300))
    .sign(o.key ?? keys[kid]);
}

const call = (base: string, path: string, headers: Record<string, string> = {}): Promise<Reply> => request(base, path, { host: 'api.test', headers });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-route-auth-'));
  store = join(work, 'store');
  for (const kid of ['k1', 'k2', 'stranger'] as const) {
    const pair = await generateKeyPair('ES256');
    keys[kid] = pair.privateKey;
    publicJwk[kid] = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
  }
  served = { keys: [publicJwk['k1']!] };
  jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served)));
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  // A port nobody listens on: the JWKS of the degraded route.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadUri = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  const signer = newKey();
  trustedPem = signer.publicPem;
  keyFile = join(work, 'cosign.pub');
  await writeFile(keyFile, signer.publicPem);
  const ref = await publish({ kind: 'registry', registry: 'registry.local', repository: 'flotilla/echo' }, new Uint8Array(await readFile(await buildExample('echo'))), signer, store);
  await mkdir(join(work, 'secrets', 'edge', 'api-keys'), { recursive: true });
  await writeFile(join(work, 'secrets', 'edge', 'api-keys', 'billing'), `${keyDigest(API_KEY)}\n`);

  const jwt = (uri: string) => `  auth:\n    type: jwt\n    jwt:\n      issuer: ${ISSUER}\n      audiences: [api]\n      jwksUri: ${uri}\n      clockSkewSeconds: 5\n    claims:\n      - claim: sub\n        env: AUTH_SUB\n`;
  manifests = join(work, 'manifests');
  await writeManifests(manifests, 'fns.yaml', [
    `apiVersion: flotilla.dev/v1alpha1\nkind: WasmFunction\nmetadata:\n  name: echo\n  namespace: edge\nspec:\n  module:\n    ref: ${ref}\n`,
    route('open', '/', ''),
    route('jwt', '/jwt', jwt(jwksUri)),
    route('key', '/key', '  auth:\n    type: apiKey\n    apiKey:\n      secretRef: api-keys\n    claims:\n      - claim: sub\n        env: AUTH_CLIENT\n'),
    route('mtls', '/mtls', '  auth:\n    type: mtls\n'),
    route('dead', '/dead', jwt(deadUri)),
  ].join('---\n'));

  proc = run('node', ['node', '--manifests', manifests, '--local-store', store, '--trust-key', keyFile, '--port', '0', '--admin-port', '0', '--workers', '1', '--cache-dir', join(work, 'cache'), '--state-dir', join(work, 'state'), '--secrets-dir', join(work, 'secrets'), '--jwks-cooldown-ms', '100', '--audit-file', join(work, 'audit.jsonl')]);
  const m = await awaitOutput(proc, /"url":"(http:\/\/127\.0\.0\.1:\d+)","adminUrl":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"Node runtime listening"/);
  url = m[1]!;
  adminUrl = m[2]!;
  await waitFor(async () => ((await request(adminUrl, '/readyz')).status === 200 ? true : undefined), { timeoutMs: 60_000, what: 'node ready' });
});

afterAll(async () => {
  proc.child.kill('SIGKILL');
  await proc.exited;
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

describe('flotilla node: route authentication', () => {
  it('serves the open route to anyone', async () => {
    expect((await call(url, '/anything')).status).toBe(200);
  });

  it('admits a valid JWT and passes the function the claim the route names, not the token', async () => {
    const t = await token('k1');
    const r = await call(url, '/jwt/x', bearer(t));
    expect(r.status).toBe(200);
    expect(r.body).toContain('auth: AUTH_SUB=alice\n');
    expect(r.body).toContain('auth: AUTH_TYPE=Bearer\n');
    expect(r.body).toContain('auth: REMOTE_USER=alice\n');
    expect(r.body).not.toContain(t);
    expect(r.body).not.toContain('alice@example.test');
  });

  it.each([
    ['no token', () => Promise.resolve({}), /^Bearer realm="api.test"$/],
    ['an expired token', async () => bearer(await token('k1', { expIn: -60 })), /error="invalid_token", error_description="token expired/],
    ['a token for another audience', async () => bearer(await token('k1', { aud: 'admin' })), /error="invalid_token", error_description="expected audience one of \[\\"api\\"\], got admin"/],
    ['a token signed by a key outside the JWKS', async () => bearer(await token('k1', { key: keys.stranger })), /error="invalid_token", error_description="expected a token signed by a key of the route's JWKS/],
  ])('answers %s with 401 and a WWW-Authenticate challenge, never the open route', async (_name, headers, challenge) => {
    const r = await call(url, '/jwt/x', await headers());
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(challenge);
    expect((JSON.parse(r.body) as { error: string }).error).toBe('Unauthenticated');
  });

  it('follows a key rotation: a token of the new key is admitted after the JWKS changes, one of the removed key no more', async () => {
    served = { keys: [publicJwk['k2']!] };
    const t2 = await token('k2');
    // The node holds the old set; a kid it does not know makes it fetch the JWKS again (once per cooldown).
    const admitted = await waitFor(async () => {
      const r = await call(url, '/jwt/x', bearer(t2));
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'a token of the rotated key to be admitted' });
    expect(admitted.body).toContain('auth: AUTH_SUB=alice\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await call(url, '/jwt/x', bearer(await token('k1')))).status).toBe(401);
  });

  it('admits an API key whose digest the Secret holds, naming its client, and withholds the key from the function', async () => {
    const r = await call(url, '/key', { 'x-api-key': API_KEY });
    expect(r.status).toBe(200);
    expect(r.body).toContain('auth: AUTH_CLIENT=billing\n');
    expect(r.body).not.toContain(API_KEY);
    const wrong = await call(url, '/key', { 'x-api-key': `${API_KEY}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^ApiKey realm="api.test", header="x-api-key", error="invalid_token"/);
    expect((await call(url, '/key')).status).toBe(401);
  });

  it('refuses every request of a route it cannot enforce with 503 and reports it degraded, with the reason', async () => {
    for (const path of ['/mtls', '/dead']) {
      const r = await call(url, path, bearer(await token('k2')));
      expect(r.status).toBe(503);
      expect((JSON.parse(r.body) as { error: string }).error).toBe('AuthUnavailable');
      expect(r.body).not.toContain('header: HTTP_HOST');
    }
    const detail = JSON.parse((await request(adminUrl, '/readyz')).body) as { degradedRoutes: Record<string, string> };
    expect(Object.keys(detail.degradedRoutes).sort()).toEqual(['edge/dead', 'edge/mtls']);
    expect(detail.degradedRoutes['edge/mtls']).toMatch(/mtls needs client certificates, and nodes serve no TLS yet/);
    expect(detail.degradedRoutes['edge/dead']).toMatch(/cannot get the JWKS at http:\/\/127\.0\.0\.1:\d+\/jwks\.json/);
    await awaitOutput(proc, /"route":"edge\/dead".*Route auth not enforceable, refusing its requests/);
  });
});

describe('flotilla audit verify on the node\'s audit file', () => {
  async function verify(text: string, name: string): Promise<Proc> {
    const file = join(work, name);
    await writeFile(file, text);
    const p = run('audit', ['audit', 'verify', file]);
    await p.exited;
    return p;
  }

  it('verifies what the node wrote, which names the verification, the load and the denials', async () => {
    const text = await readFile(join(work, 'audit.jsonl'), 'utf8');
    const records = text.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; action: string; object: string; details: Record<string, unknown> });
    expect(records[0]).toMatchObject({ kind: 'anchor', object: expect.stringMatching(/^node\//) as unknown });
    expect(records).toContainEqual(expect.objectContaining({ kind: 'verification', action: 'Verified', details: expect.objectContaining({ signedBy: expect.stringMatching(/^key sha256:[0-9a-f]{64} \(cosign-tag\)$/) as unknown }) as unknown }));
    expect(records).toContainEqual(expect.objectContaining({ kind: 'deploy', action: 'ModuleLoaded', object: 'WasmFunction edge/echo' }));
    expect(records).toContainEqual(expect.objectContaining({ kind: 'denial', action: 'Unauthenticated', object: 'FunctionRoute edge/jwt' }));
    expect(records).toContainEqual(expect.objectContaining({ kind: 'denial', action: 'AuthUnavailable', object: 'FunctionRoute edge/mtls' }));
    const ok = await verify(text, 'copy.jsonl');
    expect(ok.child.exitCode, ok.output).toBe(0);
    expect(ok.output).toMatch(/1 chain\(s\) verified/);
  });

  it.each([
    ['an edited line', (l: string[]) => { l[3] = l[3]!.replace(/"action":"[A-Za-z]+"/, '"action":"Nothing"'); }, 4],
    ['a removed line', (l: string[]) => { l.splice(2, 1); }, 3],
    ['two lines swapped', (l: string[]) => { [l[2], l[3]] = [l[3]!, l[2]!]; }, 3],
  ])('fails on %s with exit code 95, naming the line', async (name, tamper, line) => {
    const lines = (await readFile(join(work, 'audit.jsonl'), 'utf8')).trim().split('\n');
    tamper(lines);
    const p = await verify(`${lines.join('\n')}\n`, `${name.replace(/\W/g, '-')}.jsonl`);
    expect(p.child.exitCode, p.output).toBe(95);
    expect(p.output).toContain(`line ${line}:`);
  });

  it('fails on a file cut in the middle of its last line', async () => {
    const text = await readFile(join(work, 'audit.jsonl'), 'utf8');
    const p = await verify(text.slice(0, text.length - 30), 'cut.jsonl');
    expect(p.child.exitCode).toBe(95);
    expect(p.output).toMatch(/line \d+: an audit line cut short/);
  });
});

describe('node with tenant listeners in its workers', () => {
  let node: RunningNode;
  beforeAll(async () => {
    node = await startManifestNode({ work: join(work, 'inline'), manifests, store, trustedPem, workerListeners: true, auth: { secrets: secretsDir(join(work, 'secrets')) } });
  });
  afterAll(() => node.close());

  it('runs the open route inline and never the auth route before its authentication', async () => {
    expect((await call(node.url, '/anything')).status).toBe(200);
    expect((await call(node.url, '/key')).status).toBe(401);
    expect((await call(node.url, '/key', { 'x-api-key': API_KEY })).status).toBe(200);
    expect((await call(node.url, '/jwt/x')).status).toBe(401);
  });
});
