/** Fuzzing WAGI: the CGI response a module writes (guest-controlled bytes) and the CGI environment built from a request (client-controlled). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_RUNS, typedOrValue } from '../../api/testdata/fuzz.ts';
import { cgiEnvironment, parseCgiResponse, type RequestMeta } from './wagi.ts';

const token = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
const fieldValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/).map((v) => v.trim());

describe('parseCgiResponse (fuzzed)', () => {
  it('returns a response or throws InvalidResponse for any output', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 1024 }), fc.string({ maxLength: 512 }).map((s) => new TextEncoder().encode(s))), (out) => {
        const r = typedOrValue(() => parseCgiResponse('fuzz', out));
        if (r instanceof Error) expect(r).toMatchObject({ code: 'InvalidResponse' });
        else expect(r.status).toBeGreaterThanOrEqual(100);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('reads back the status, headers and body it was written', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.array(fc.tuple(token.filter((t) => !/^(status|content-length|transfer-encoding|connection|location)$/i.test(t)), fieldValue), { maxLength: 5 }), fc.uint8Array({ maxLength: 256 }), (status, headers, body) => {
        const head = [`Status: ${status}`, 'Content-Type: text/plain', ...headers.map(([k, v]) => `${k}: ${v}`)].join('\n');
        const out = new Uint8Array([...new TextEncoder().encode(`${head}\n\n`), ...body]);
        const r = typedOrValue(() => parseCgiResponse('fuzz', out));
        if (r instanceof Error) throw r;
        expect(r.status).toBe(status);
        expect(r.body).toEqual(body);
        for (const [k, v] of headers) if (!/^content-type$/i.test(k)) expect(r.headers).toContainEqual([k, v]);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('cgiEnvironment (fuzzed)', () => {
  // Found by the property below (seed -849351841): a header name with "=" and space made a second HTTP_KR.
  it('passes no header whose name is not a lowercase token', () => {
    const req: RequestMeta = { method: 'GET', path: '/', query: '', headers: { 'kr= ': 'spoof', kr: 'real', X: 'upper', x: 'lower' }, host: '', scheme: 'http', serverPort: 0, remoteAddr: '', matchedRoute: '/' };
    const env = cgiEnvironment(req, { invocationId: 'i', deadlineMs: 1, traceparent: 't' }, 0, []);
    expect(env.filter((e) => e.startsWith('HTTP_'))).toEqual(['HTTP_KR=real', 'HTTP_X=lower']);
  });

  const request = fc.record({
    method: fc.string({ maxLength: 10 }),
    path: fc.string({ maxLength: 60 }).map((p) => `/${p}`),
    query: fc.string({ maxLength: 30 }),
    headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }).map((k) => k.toLowerCase()), fc.string({ maxLength: 30 }), { maxKeys: 8 }),
    host: fc.string({ maxLength: 20 }),
    scheme: fc.constantFrom('http' as const, 'https' as const),
    serverPort: fc.nat({ max: 65535 }),
    remoteAddr: fc.string({ maxLength: 20 }),
    matchedRoute: fc.constantFrom('/', '/api', '/api/'),
  });

  it('gives every variable once, none with a NUL, and no client header can set a CGI variable, a grant or AUTH_*', () => {
    fc.assert(
      fc.property(request, fc.array(fc.record({ name: fc.stringMatching(/^[A-Z_]{1,12}$/), value: fc.string({ maxLength: 10 }) }), { maxLength: 4 }), (req: RequestMeta, granted) => {
        const env = typedOrValue(() => cgiEnvironment(req, { invocationId: 'i', deadlineMs: 1, traceparent: 't' }, 0, granted));
        if (env instanceof Error) throw env;
        const names = env.map((e) => e.slice(0, e.indexOf('=')));
        expect(new Set(names).size).toBe(names.length);
        for (const e of env) expect(e.includes('\0')).toBe(false);
        const fromHeaders = names.filter((n) => n.startsWith('HTTP_'));
        // Header variables are HTTP_* only, one per header at most.
        expect(fromHeaders.length).toBeLessThanOrEqual(Object.keys(req.headers).length);
        expect(env).toContain('AUTH_TYPE=');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
