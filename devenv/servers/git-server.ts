/**
 * The local Git host: every repository under a directory served over smart HTTP on loopback (git's
 * own http-backend), with push webhooks as GitHub sends them, so a commit tells Argo CD at once
 * instead of waiting for its poll. Runs as its own process (git-http/main.ts).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import type { Webhook } from './git-http/deliver.ts';
import { readWebhooks } from './git-http/deliver.ts';
import { freePort, httpReady, startServer } from './process.ts';
import type { RunningServer } from './process.ts';

export interface GitServer extends RunningServer {
  /** http://127.0.0.1:<port>/ : append a repository dir name under `baseDir`. */
  readonly baseUrl: string;
  /** URL of the repository `baseDir/<name>` (also the `html_url` its push webhooks carry). */
  repoUrl(name: string): string;
  /** Registers a push webhook for repository `repo` (GitHub format, signed with `secret`); applies to the next push. */
  addWebhook(repo: string, hook: { readonly url: string; readonly secret: string }): void;
}

/** Serves every git repository under `baseDir`; logs (requests, pushes, deliveries) to `logDir/git-server.log`. */
export async function startGitServer(baseDir: string, logDir: string = baseDir): Promise<GitServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}/`;
  // Outside baseDir, so it is never mistaken for a repository; the server re-reads it per push.
  const webhooksFile = join(logDir, `git-server-${port}-webhooks.json`);
  const server = await startServer({
    name: 'git-server',
    command: process.execPath,
    args: [join(import.meta.dirname, 'git-http', 'main.ts'), '--root', baseDir, '--port', String(port), '--webhooks', webhooksFile, '--git', toolPath('git')],
    logFile: join(logDir, 'git-server.log'),
    ready: () => httpReady(`${baseUrl}healthz`),
    // The probe alone would pass for whoever holds the port; the server must hold it itself.
    port,
  });
  return {
    ...server,
    baseUrl,
    repoUrl: (name) => `${baseUrl}${name}`,
    addWebhook(repo, hook) {
      const hooks: Webhook[] = [...readWebhooks(webhooksFile), { repo, url: hook.url, secret: hook.secret }];
      // Whole or not at all: the server may read it mid-write.
      writeFileSync(`${webhooksFile}.tmp`, JSON.stringify(hooks), { mode: 0o600 });
      renameSync(`${webhooksFile}.tmp`, webhooksFile);
    },
  };
}
