/** `git daemon` serving the repositories under a directory on loopback (read-only, git:// protocol). */
import { join } from 'node:path';
import { toolPath } from '../tools/paths.ts';
import { freePort, startServer, tcpReady } from './process.ts';
import type { RunningServer } from './process.ts';

export interface GitServer extends RunningServer {
  /** git://127.0.0.1:<port>/ : append a repository dir name under `baseDir`. */
  readonly baseUrl: string;
  /** URL of the repository `baseDir/<name>`. */
  repoUrl(name: string): string;
}

/** Serves every git repository under `baseDir`; logs to `logDir/git-daemon.log`. */
export async function startGitServer(baseDir: string, logDir: string = baseDir): Promise<GitServer> {
  const port = await freePort();
  const baseUrl = `git://127.0.0.1:${port}/`;
  const server = await startServer({
    name: 'git-daemon',
    command: toolPath('git'),
    args: ['daemon', '--reuseaddr', '--export-all', '--informative-errors', '--verbose', `--base-path=${baseDir}`, '--listen=127.0.0.1', `--port=${port}`, baseDir],
    logFile: join(logDir, 'git-daemon.log'),
    ready: () => tcpReady(port),
    // The probe alone would pass for whoever holds the port; the daemon must hold it itself.
    port,
  });
  return { ...server, baseUrl, repoUrl: (name) => `${baseUrl}${name}` };
}
