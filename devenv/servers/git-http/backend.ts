/**
 * Git's smart HTTP protocol, served by git's own `git http-backend` (a CGI program) behind
 * node:http: the same server every HTTP Git host runs, so Argo CD clones over http:// as it would
 * from GitHub or Gitea, and the repoURL it holds can match a webhook's repository URL.
 */
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What `git http-backend` needs to find and serve the repositories. */
export interface BackendOptions {
  /** The git binary (pinned in devenv/tools/versions.json). */
  readonly git: string;
  /** Directory whose subdirectories are the repositories served (GIT_PROJECT_ROOT). */
  readonly projectRoot: string;
}

/** Serves one HTTP request through `git http-backend` (RFC 3875 CGI: headers, blank line, body). */
export function serveGit(req: IncomingMessage, res: ServerResponse, opts: BackendOptions): void {
  const url = new URL(req.url ?? '/', 'http://git.invalid');
  const child = spawn(opts.git, ['http-backend'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      GIT_PROJECT_ROOT: opts.projectRoot,
      // Every repository under the root is served, as `git daemon --export-all` did.
      GIT_HTTP_EXPORT_ALL: '1',
      // Pushes over HTTP are loopback-only here; the served repos are working copies, so a push to
      // the checked-out branch updates the files too (a bare host would not need this).
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: 'true',
      GIT_CONFIG_KEY_1: 'receive.denyCurrentBranch',
      GIT_CONFIG_VALUE_1: 'updateInstead',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      REMOTE_USER: 'flotilla',
      // Protocol v2 (what current git clients and Argo CD's go-git/git ask for) travels in this header.
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 500;
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  child.on('close', (code) => {
    if (!headersDone) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend exited ${code} without a response\n`);
      return;
    }
    res.end();
  });
  child.on('error', (err) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`git http-backend: ${err.message}\n`);
  });
}
