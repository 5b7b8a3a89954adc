// The git server for real: git clones and pushes over its HTTP, and a commit made in a served
// working copy or pushed to it reaches a webhook receiver as a signed GitHub push event.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolPath } from '../tools/paths.ts';
import { startGitServer } from './git-server.ts';
import type { GitServer } from './git-server.ts';
import { signature256 } from './git-http/push-payload.ts';
import { waitFor } from './wait.ts';

interface Delivery { readonly event: string; readonly signature: string; readonly body: string }

describe('git server', () => {
  const base = mkdtempSync(join(tmpdir(), 'git-server-test-'));
  const repo = join(base, 'fleet');
  const git = (cwd: string, ...args: string[]): string => execFileSync(toolPath('git'), ['-c', 'user.name=t', '-c', 'user.email=t@flotilla.invalid', ...args], { cwd, encoding: 'utf8' });
  const deliveries: Delivery[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      deliveries.push({ event: String(req.headers['x-github-event']), signature: String(req.headers['x-hub-signature-256']), body });
      res.end();
    });
  });
  let server: GitServer;

  beforeAll(async () => {
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'a.yaml'), 'a: 1\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'one');
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    server = await startGitServer(base, base);
    server.addWebhook('fleet', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhook`, secret: 's3cret' });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    receiver.close();
    rmSync(base, { recursive: true, force: true });
  });

  const pushOf = async (sha: string): Promise<{ ref: string; after: string; repository: { html_url: string }; commits: { added: string[]; modified: string[] }[] }> => {
    const d = await waitFor(() => Promise.resolve(deliveries.find((x) => x.body.includes(`"after":"${sha}"`))), { what: `a push webhook for ${sha}`, timeoutMs: 30_000, intervalMs: 50 });
    expect(d.event).toBe('push');
    expect(d.signature).toBe(signature256('s3cret', d.body));
    return JSON.parse(d.body) as never;
  };

  it('sends a signed push webhook for a commit made in the served working copy', async () => {
    writeFileSync(join(repo, 'b.yaml'), 'b: 1\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'two');
    const p = await pushOf(git(repo, 'rev-parse', 'HEAD').trim());
    expect(p).toMatchObject({ ref: 'refs/heads/main', repository: { html_url: server.repoUrl('fleet') }, commits: [{ added: ['b.yaml'], modified: [] }] });
  }, 60_000);

  it('serves clones over HTTP and sends the webhook for a push, updating the working copy', async () => {
    const clone = join(base, 'clone-out');
    execFileSync(toolPath('git'), ['clone', '-q', server.repoUrl('fleet'), clone]);
    writeFileSync(join(clone, 'a.yaml'), 'a: 2\n');
    git(clone, 'commit', '-qam', 'three');
    git(clone, 'push', '-q', 'origin', 'main');
    const p = await pushOf(git(clone, 'rev-parse', 'HEAD').trim());
    expect(p.commits).toMatchObject([{ modified: ['a.yaml'] }]);
    expect(readFileSync(join(repo, 'a.yaml'), 'utf8')).toBe('a: 2\n');
  }, 60_000);
});
