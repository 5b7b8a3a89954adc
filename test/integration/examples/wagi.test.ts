/**
 * The examples speak WAGI: run under node:wasi (an independent WASI host, not our runtime) with CGI
 * variables in env and the body on stdin, each answers with header lines, a blank line and a body.
 * misbehave's trap and stack modes must trap; its loop mode is never run here (node:wasi cannot stop
 * it), and alloc is left to the runtime tests, which cap memory (uncapped it grows to 4 GiB).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAllExamples } from '../../../examples/functions/build.ts';
import type { ExampleName } from '../../../examples/functions/catalog.ts';
import { parseCgi, runUnderNodeWasi, wagiEnv } from './wasi-host.ts';

let wasm: Record<ExampleName, string>;

beforeAll(async () => {
  wasm = await buildAllExamples();
}, 300_000);

describe('echo', () => {
  it('echoes method, path, query, HTTP_* headers and the body', async () => {
    const body = 'line one\nline two\n';
    const env = wagiEnv('POST', '/echo/x', 'a=1&b=two', { 'X-Trace': 'abc', Host: 'edge.local' });
    const run = await runUnderNodeWasi(wasm.echo, { env, stdin: body });
    expect(run.exitCode).toBe(0);
    const res = parseCgi(run.stdout);
    expect(res.headers).toEqual({ 'content-type': 'text/plain', status: '200' });
    expect(res.body).toBe(
      ['method: POST', 'path: /echo/x', 'query: a=1&b=two', 'header: HTTP_HOST=edge.local', 'header: HTTP_X_TRACE=abc', 'body:', body].join('\n'),
    );
  });

  it('runs as a plain WASI command without REQUEST_METHOD: prints its args and env count', async () => {
    const run = await runUnderNodeWasi(wasm.echo, { args: ['echo.wasm', 'first', 'second arg'], env: { A: '1', B: '2' } });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('args: 3\narg[0]: echo.wasm\narg[1]: first\narg[2]: second arg\nenv: 2\n');
  });
});

describe('compute', () => {
  it('answers the N-th prime and the SHA-256 of the body as JSON', async () => {
    const body = 'hash me';
    const run = await runUnderNodeWasi(wasm.compute, { env: wagiEnv('POST', '/compute', 'n=1000'), stdin: body });
    expect(run.exitCode).toBe(0);
    const res = parseCgi(run.stdout);
    expect(res.headers).toEqual({ 'content-type': 'application/json', status: '200' });
    expect(JSON.parse(res.body)).toEqual({
      n: 1000,
      prime: 7919,
      bodyBytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
  });

  it.each(['0', '1000001', 'ten'])('rejects n=%s with a 400 naming the parameter', async (n) => {
    const res = parseCgi((await runUnderNodeWasi(wasm.compute, { env: wagiEnv('GET', '/compute', `n=${n}`) })).stdout);
    expect(res.headers['status']).toBe('400');
    expect(JSON.parse(res.body)).toEqual({ error: `n: expected an integer from 1 to 1000000, got "${n}"` });
  });
});

describe('hello', () => {
  it('says hello', async () => {
    const run = await runUnderNodeWasi(wasm.hello, { env: wagiEnv('GET', '/') });
    expect(run.exitCode).toBe(0);
    expect(parseCgi(run.stdout)).toEqual({ headers: { 'content-type': 'text/plain', status: '200' }, body: 'Hello from Flotilla\n' });
  });
});

describe('misbehave', () => {
  const request = (mode: string) => runUnderNodeWasi(wasm.misbehave, { env: wagiEnv('GET', '/misbehave', `mode=${mode}`) });

  it('answers normally with mode=ok', async () => {
    expect(parseCgi((await request('ok')).stdout)).toEqual({ headers: { 'content-type': 'text/plain', status: '200' }, body: 'ok\n' });
  });

  it('rejects an unknown mode with a 400', async () => {
    expect(parseCgi((await request('sideways')).stdout).headers['status']).toBe('400');
  });

  it('traps on unreachable with mode=trap', async () => {
    await expect(request('trap')).rejects.toThrow(new WebAssembly.RuntimeError('unreachable'));
  });

  it('traps when the stack runs out with mode=stack', async () => {
    const err = await request('stack').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebAssembly.RuntimeError);
    expect((err as Error).message).toBe('memory access out of bounds');
  });
});
