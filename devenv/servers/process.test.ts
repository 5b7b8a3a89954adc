import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, HarnessError, startServer, tcpReady } from './process.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-process-test-'));

describe('startServer', () => {
  it('fails with the exit status and the log tail when the server dies before it is ready', async () => {
    const start = startServer({
      name: 'dies',
      command: 'sh',
      args: ['-c', 'echo "listen: address already in use" >&2; exit 3'],
      logFile: join(dir, 'dies.log'),
      ready: () => Promise.resolve(false),
    });
    await expect(start).rejects.toThrow(HarnessError);
    await expect(start).rejects.toThrow(/dies exited \(code 3\)[\s\S]*address already in use/);
  });

  it('stops a server that never becomes ready and says how long it waited', async () => {
    const start = startServer({ name: 'stuck', command: 'sleep', args: ['30'], logFile: join(dir, 'stuck.log'), ready: () => Promise.resolve(false), timeoutMs: 300 });
    await expect(start).rejects.toThrow(/stuck was not ready after 0.3s/);
  });

  it('returns once the probe passes, and stop() ends the process', async () => {
    const port = await freePort();
    const server = await startServer({
      name: 'listener',
      command: process.execPath,
      args: ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1')`],
      logFile: join(dir, 'listener.log'),
      ready: () => tcpReady(port),
    });
    expect(await tcpReady(port)).toBe(true);
    await server.stop();
    expect(await tcpReady(port)).toBe(false);
  });
});
