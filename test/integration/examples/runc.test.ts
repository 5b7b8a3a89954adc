/**
 * The native baseline of the cold-start benchmark works on this machine: the echo example built as a
 * static binary answers the same GET request from inside a runc container, and leaves no container.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { prepareRuncBundle, runRuncOnce } from '../../../bench/runc/bundle.ts';
import { RUNC_REQUEST_ENV } from '../../../bench/runc/config.ts';
import { toolPath } from '../../../devenv/tools/paths.ts';
import { parseCgi } from './wasi-host.ts';

describe('runc baseline', () => {
  it('runs echo natively in a container and answers the request', async () => {
    const { bundleDir } = await prepareRuncBundle();
    const run = await runRuncOnce(bundleDir);
    const res = parseCgi(run.stdout);
    expect(res.headers).toEqual({ 'content-type': 'text/plain', status: '200' });
    expect(res.body).toBe(`method: GET\npath: ${RUNC_REQUEST_ENV['PATH_INFO']}\nquery: ${RUNC_REQUEST_ENV['QUERY_STRING']}\nbody:\n`);
    expect(run.runMs).toBeGreaterThan(0);

    const { stdout } = await execa(toolPath('runc'), ['list', '--quiet']);
    expect(stdout.split('\n').filter((id) => id.startsWith(`flotilla-baseline-${process.pid}-`))).toEqual([]);
  });
});
