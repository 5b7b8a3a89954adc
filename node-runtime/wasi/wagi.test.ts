import { describe, expect, it } from 'vitest';
import { cgiEnvironment, parseCgiResponse, type RequestMeta } from './wagi.ts';

const req: RequestMeta = {
  method: 'POST',
  path: '/api/items/a%20b',
  query: 'x=1&y=2',
  headers: { host: 'fn.example.com:8080', 'content-type': 'text/plain', 'x-custom-thing': 'v', authorization: 'Bearer secret', connection: 'keep-alive' },
  host: 'fn.example.com',
  scheme: 'http',
  serverPort: 8080,
  remoteAddr: '127.0.0.1',
  matchedRoute: '/api',
};

describe('cgiEnvironment', () => {
  const env = Object.fromEntries(cgiEnvironment(req, { invocationId: 'inv-1', deadlineMs: 1234, traceparent: '00-aa-bb-01' }, 5, [{ name: 'GREETING', value: 'hi' }, { name: 'REQUEST_METHOD', value: 'spoofed' }]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

  it.each([
    ['REQUEST_METHOD', 'POST'],
    ['PATH_INFO', '/items/a b'],
    ['X_RAW_PATH_INFO', '/items/a%20b'],
    ['SCRIPT_NAME', '/api'],
    ['QUERY_STRING', 'x=1&y=2'],
    ['CONTENT_TYPE', 'text/plain'],
    ['CONTENT_LENGTH', '5'],
    ['SERVER_NAME', 'fn.example.com'],
    ['SERVER_PORT', '8080'],
    ['HTTP_X_CUSTOM_THING', 'v'],
    ['X_FULL_URL', 'http://fn.example.com:8080/api/items/a%20b?x=1&y=2'],
    ['X_MATCHED_ROUTE', '/api'],
    ['FLOTILLA_INVOCATION_ID', 'inv-1'],
    ['FLOTILLA_DEADLINE_MS', '1234'],
    ['TRACEPARENT', '00-aa-bb-01'],
    ['GREETING', 'hi'],
  ])('%s=%s', (name, value) => {
    expect(env[name]).toBe(value);
  });

  it('withholds credentials and hop-by-hop headers (RFC 3875 4.1.18)', () => {
    expect(env.HTTP_AUTHORIZATION).toBeUndefined();
    expect(env.HTTP_CONNECTION).toBeUndefined();
  });

  it('does not let granted env override request variables', () => {
    expect(env.REQUEST_METHOD).toBe('POST');
  });

  it('maps no two header names to one variable: names with "_" are left out, whichever comes first', () => {
    const ctx = { invocationId: 'i', deadlineMs: 1, traceparent: 't' };
    for (const headers of [{ 'x-auth-user': 'proxy-set', x_auth_user: 'client-set' }, { x_auth_user: 'client-set', 'x-auth-user': 'proxy-set' }]) {
      const vars = cgiEnvironment({ ...req, headers }, ctx, 0, []);
      expect(vars.filter((v) => v.startsWith('HTTP_X_AUTH_USER='))).toEqual(['HTTP_X_AUTH_USER=proxy-set']);
    }
    expect(cgiEnvironment({ ...req, headers: { x_auth_user: 'client-set' } }, ctx, 0, []).some((v) => v.includes('client-set'))).toBe(false);
  });

  it('lets a request header win over a grant of the same variable, and the first of two grants win', () => {
    const vars = cgiEnvironment(req, { invocationId: 'i', deadlineMs: 1, traceparent: 't' }, 0, [{ name: 'HTTP_X_CUSTOM_THING', value: 'granted' }, { name: 'HTTP_X_UNSET', value: 'a' }, { name: 'HTTP_X_UNSET', value: 'b' }]);
    expect(vars.filter((v) => v.startsWith('HTTP_X_CUSTOM_THING='))).toEqual(['HTTP_X_CUSTOM_THING=v']);
    expect(vars.filter((v) => v.startsWith('HTTP_X_UNSET='))).toEqual(['HTTP_X_UNSET=a']);
  });

  it('names the authenticated caller in AUTH_TYPE, REMOTE_USER and the route\'s AUTH_* claims, which win over granted env', () => {
    const caller = { type: 'Bearer', user: 'alice', env: [['AUTH_EMAIL', 'a@x.test']] as const };
    const lines = cgiEnvironment({ ...req, caller }, { invocationId: 'i', deadlineMs: 1, traceparent: 't' }, 0, [{ name: 'AUTH_EMAIL', value: 'granted' }]);
    expect(lines).toEqual(expect.arrayContaining(['AUTH_TYPE=Bearer', 'REMOTE_USER=alice', 'AUTH_EMAIL=a@x.test']));
    expect(lines.filter((l) => l.startsWith('AUTH_EMAIL='))).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('HTTP_AUTHORIZATION='))).toBe(false);
  });

  it('never sets HTTP_PROXY from a Proxy header (httpoxy)', () => {
    const vars = cgiEnvironment({ ...req, headers: { proxy: 'http://evil.example:3128' } }, { invocationId: 'i', deadlineMs: 1, traceparent: 't' }, 0, []);
    expect(vars.some((v) => v.startsWith('HTTP_PROXY='))).toBe(false);
  });
});

describe('parseCgiResponse', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const body = (r: { body: Uint8Array }) => new TextDecoder().decode(r.body);

  it.each([
    ['Content-Type: text/plain\n\nhello', 200, 'hello'],
    ['Content-Type: text/plain\r\n\r\nhello', 200, 'hello'],
    ['Status: 404 Not Found\nContent-Type: text/plain\n\nnope', 404, 'nope'],
    ['Location: /elsewhere\n\n', 302, ''],
    ['Status: 201\nLocation: /new\n\n', 201, ''],
    ['Content-Type: application/octet-stream\n\n\n\nbinary\n', 200, '\n\nbinary\n'],
  ])('%j -> %d', (out, status, b) => {
    const r = parseCgiResponse('f', enc(out));
    expect(r.status).toBe(status);
    expect(body(r)).toBe(b);
  });

  it('keeps headers, drops framing headers the node owns', () => {
    const r = parseCgiResponse('f', enc('Content-Type: text/plain\nX-A: 1\nContent-Length: 999\nTransfer-Encoding: chunked\n\nok'));
    expect(r.headers).toEqual([['Content-Type', 'text/plain'], ['X-A', '1']]);
  });

  it.each([
    ['', /no output/],
    ['hello world', /without a blank line/],
    ['X-Only: 1\n\nbody', /without Content-Type, Location or Status/],
    ['Status: abc\n\n', /Status "abc"/],
    ['Bad Header: x\n\n', /header name/],
    ['no colon here\n\n', /header line/],
    ['Content-Type: text/plain\nX-Bell: a\x07b\n\n', /control characters/],
  ])('refuses %j', (out, message) => {
    expect(() => parseCgiResponse('ns/f', enc(out))).toThrow(expect.objectContaining({ code: 'InvalidResponse', message: expect.stringMatching(message) as unknown }));
    expect(() => parseCgiResponse('ns/f', enc(out))).toThrow(/function ns\/f/);
  });
});
