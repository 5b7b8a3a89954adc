/**
 * Host paths on a real node process (`flotilla node --manifests`): a volume of /proc is refused
 * with the manifests, a symlink to /proc under an allowed directory and a directory outside the
 * allow-list fail their load naming the function, volume and path, and a function reading a file
 * of an allowed directory keeps serving beside them.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wagiCat } from '../../../node-runtime/testing/assemble.ts';
import { waitFor } from '../../harness/index.ts';
import { awaitOutput, run, type Proc } from '../operator/cli-process.ts';
import { newKey, publish, routeManifest, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';

let work: string;
let store: string;
let keyFile: string;
let allowed: string;
/** Modules reading `greeting.txt` and, through a /proc preopen, `self/environ` (the node's environment). */
const refs = { greeting: '', environ: '' };
const procs: Proc[] = [];
const SECRET = 'FLOTILLA_TEST_SECRET=do-not-leak';

function startNodeProcess(manifests: string): Proc {
  const p = run('node', ['node', '--manifests', manifests, '--local-store', store, '--trust-key', keyFile, '--port', '0', '--admin-port', '0', '--workers', '1', '--cache-dir', join(work, 'cache'), '--state-dir', join(work, 'state'), '--node-name', 'edge-box']);
  procs.push(p);
  return p;
}

const runtime = (paths: readonly string[]) => `apiVersion: flotilla.dev/v1alpha1
kind: WasmRuntime
metadata:
  name: default
  namespace: edge
spec:
  version: 0.1.0
  trustPolicyRef:
    name: fleet
  hostPaths:
    allowed:${paths.map((p) => `\n      - path: ${p}`).join('')}
`;

const reader = (name: string, ref: string, hostPath: string) => `apiVersion: flotilla.dev/v1alpha1
kind: WasmFunction
metadata:
  name: ${name}
  namespace: edge
spec:
  module:
    ref: ${ref}
  capabilities:
    volumes:
      - name: files
        hostPath: ${hostPath}
        mountPath: /files
---
${routeManifest(name, [[name, 100]])}`;

beforeAll(async () => {
  process.env['FLOTILLA_TEST_SECRET'] = 'do-not-leak'; // inherited by the node process: what /proc/self/environ would show
  work = await mkdtemp(join(tmpdir(), 'flotilla-host-paths-'));
  store = join(work, 'store');
  allowed = join(work, 'allowed');
  await mkdir(join(work, 'outside'), { recursive: true });
  await mkdir(allowed, { recursive: true });
  await writeFile(join(allowed, 'greeting.txt'), 'hello from the host\n');
  await writeFile(join(work, 'outside', 'greeting.txt'), 'not yours\n');
  await symlink('/proc', join(allowed, 'proc-link'));
  const key = newKey();
  keyFile = join(work, 'cosign.pub');
  await writeFile(keyFile, key.publicPem);
  refs.greeting = await publish({ kind: 'registry', registry: 'registry.local', repository: 'flotilla/cat-greeting' }, wagiCat('greeting.txt'), key, store);
  refs.environ = await publish({ kind: 'registry', registry: 'registry.local', repository: 'flotilla/cat-environ' }, wagiCat('self/environ'), key, store);
});

afterAll(async () => {
  delete process.env['FLOTILLA_TEST_SECRET'];
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await rm(work, { recursive: true, force: true });
});

describe('flotilla node --manifests: host paths only under the WasmRuntime allow-list', () => {
  it('a volume of /proc: the manifests are refused, naming the field and why', async () => {
    const dir = join(work, 'proc');
    await writeManifests(dir, 'fns.yaml', `${runtime(['/proc'])}---\n${reader('snoop', refs.environ, '/proc')}`);
    const p = startNodeProcess(dir);
    await p.exited;
    expect(p.child.exitCode).not.toBe(0);
    expect(p.output).toContain('spec.capabilities.volumes[0].hostPath: capabilities.volumes[].hostPath must not be / or under /proc, /sys, /dev');
    expect(p.output).toContain('spec.hostPaths.allowed[0].path: hostPaths.allowed[].path must not be / or under /proc, /sys, /dev');
    expect(p.output).not.toContain(SECRET);
  });

  it('refuses a symlink to /proc under an allowed directory and a directory outside the list; a function in an allowed one reads its file', async () => {
    const dir = join(work, 'mixed');
    const docs = [runtime([allowed]), reader('greet', refs.greeting, allowed), reader('sneak', refs.environ, join(allowed, 'proc-link')), reader('stray', refs.greeting, join(work, 'outside'))];
    await writeManifests(dir, 'fns.yaml', docs.join('---\n'));
    const p = startNodeProcess(dir);
    const url = (await awaitOutput(p, /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"Node runtime listening"/))[1]!;
    const greet = await waitFor(async () => {
      const r = await request(url, '/greet', { host: 'fn.test' });
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 15_000, what: 'greet to answer' });
    expect(greet.body).toBe('hello from the host\n');

    await awaitOutput(p, /"function":"edge\/sneak","code":"HostPathNotAllowed".*Module not loaded: function edge\/sneak: spec\.capabilities\.volumes files: hostPath \S+proc-link \(resolves to \/proc\) refused: expected a directory outside \/proc, \/sys, \/dev/);
    await awaitOutput(p, /"function":"edge\/stray","code":"HostPathNotAllowed".*Module not loaded: function edge\/stray: spec\.capabilities\.volumes files: hostPath \S+\/outside refused: expected \S+\/outside at or below an entry of WasmRuntime edge\/default spec\.hostPaths\.allowed/);
    for (const refused of ['sneak', 'stray']) {
      const r = await request(url, `/${refused}`, { host: 'fn.test' });
      expect(r.status).toBe(500);
      expect(r.body).not.toContain(SECRET);
      expect(r.body).not.toContain('not yours');
    }
    expect((await request(url, '/greet', { host: 'fn.test' })).status).toBe(200);
  });
});
