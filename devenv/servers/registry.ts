/** Debian's docker-registry (distribution 2.8): filesystem storage in the harness dir, deletes enabled; optionally behind htpasswd Basic auth. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
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

export interface RegistryOptions {
  /** Require Basic auth (distribution's `auth: htpasswd`) with this one account: a private registry. @default anonymous */
  readonly htpasswd?: { readonly user: string; readonly password: string };
}

/** An htpasswd line for distribution, which reads only bcrypt entries: made by the pinned Argo CD binary (no htpasswd tool here). */
export async function htpasswdLine(user: string, password: string): Promise<string> {
  const hash = (await execa(toolPath('argocd'), ['account', 'bcrypt', '--password', password])).stdout.trim();
  return `${user}:${hash}\n`;
}

export async function startRegistry(dir: string, logDir: string, options: RegistryOptions = {}): Promise<Registry> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const htpasswd = join(dir, 'htpasswd');
  if (options.htpasswd) writeFileSync(htpasswd, await htpasswdLine(options.htpasswd.user, options.htpasswd.password), { mode: 0o600 });
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
      ...(options.htpasswd ? { auth: { htpasswd: { realm: 'flotilla', path: htpasswd } } } : {}),
    }),
  );
  const server = await startServer({
    name: 'registry',
    command: toolPath('registry'),
    args: ['serve', config],
    logFile: join(logDir, 'registry.log'),
    // A private registry answers /v2/ with its challenge.
    ready: () => httpReady(`http://${host}/v2/`, options.htpasswd ? 401 : 200),
  });
  return { ...server, host, url: `http://${host}` };
}
