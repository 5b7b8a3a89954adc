/** Debian's docker-registry (distribution 2.8): filesystem storage in the harness dir, deletes enabled. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { toolPath } from '../tools/paths.ts';
import { freePort, httpReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';

export interface Registry extends RunningServer {
  /** host:port, the form image references use. */
  readonly host: string;
  /** http://host:port */
  readonly url: string;
}

export async function startRegistry(dir: string, logDir: string): Promise<Registry> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    stringify({
      version: 0.1,
      log: { level: 'info', formatter: 'text' },
      storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true }, cache: { blobdescriptor: 'inmemory' } },
      http: { addr: host, headers: { 'X-Content-Type-Options': ['nosniff'] } },
    }),
  );
  const server = await startServer({
    name: 'registry',
    command: toolPath('registry'),
    args: ['serve', config],
    logFile: join(logDir, 'registry.log'),
    ready: () => httpReady(`http://${host}/v2/`),
  });
  return { ...server, host, url: `http://${host}` };
}
