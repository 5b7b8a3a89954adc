/**
 * The local Git host: serves every repository under a directory over smart HTTP and sends a
 * GitHub-style push webhook to the receivers registered in the webhooks file whenever a branch of a
 * served repository moves (a push, or a commit in a served working copy).
 *
 * Usage: node main.ts --root DIR --port N --webhooks FILE [--git PATH]
 */
import { existsSync, readdirSync, watch } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serveGit } from './backend.ts';
import { deliver, readWebhooks } from './deliver.ts';
import { pushPayload } from './push-payload.ts';
import type { RefUpdate } from './push-payload.ts';
import { RefWatch } from './ref-watch.ts';

const { values } = parseArgs({ options: { root: { type: 'string' }, port: { type: 'string' }, webhooks: { type: 'string' }, git: { type: 'string', default: 'git' } } });
const [root, port, webhooksFile, git] = [values.root, Number(values.port), values.webhooks, values.git];
if (!root || !webhooksFile || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`git-http: expected --root DIR --port 1..65535 --webhooks FILE, got ${JSON.stringify(values)}`);
const baseUrl = `http://127.0.0.1:${port}/`;
const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);

const watches = new Map<string, RefWatch>();
function onUpdate(w: RefWatch, u: RefUpdate): void {
  const t0 = performance.now();
  const payload = pushPayload(u, w.commits(u), { baseUrl, defaultBranch: w.defaultBranch() });
  const hooks = readWebhooks(webhooksFile ?? '').filter((h) => h.repo === u.repo);
  log(`push ${u.repo} ${u.ref} ${u.before.slice(0, 8)}..${u.after.slice(0, 8)}: ${hooks.length} webhook(s), payload in ${Math.round(performance.now() - t0)} ms`);
  for (const h of hooks) void deliver(h, payload).then(log);
}
/** Watches every repository under the root not watched yet (a repo made after start included). */
function scan(): void {
  for (const e of readdirSync(root ?? '', { withFileTypes: true })) {
    const path = join(root ?? '', e.name);
    if (!e.isDirectory() || watches.has(e.name) || !(existsSync(join(path, '.git', 'HEAD')) || existsSync(join(path, 'HEAD')))) continue;
    const w: RefWatch = new RefWatch(git ?? 'git', path, e.name, (u) => onUpdate(w, u));
    watches.set(e.name, w);
    log(`watching ${e.name}`);
  }
}
scan();
const rootWatch = watch(root, () => scan());

const server = createServer((req, res) => {
  const t0 = performance.now();
  res.on('finish', () => log(`${req.method} ${req.url} ${res.statusCode} ${Math.round(performance.now() - t0)} ms`));
  if (req.url === '/healthz') {
    res.end('ok\n');
    return;
  }
  serveGit(req, res, { git: git ?? 'git', projectRoot: root });
});
server.listen(port, '127.0.0.1', () => log(`serving ${root} at ${baseUrl}`));
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    rootWatch.close();
    for (const w of watches.values()) w.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
