/**
 * Standalone mode (`flotilla node --manifests`) as an edge box runs it, a real node process: the
 * directory is followed however its files are written (atomic renames, as editors and git write),
 * and manifests that would silently drop or replace a function are refused naming the file.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wagiHello } from '../../../node-runtime/testing/assemble.ts';
import { waitFor } from '../../harness/index.ts';
import { awaitOutput, run, type Proc } from '../operator/cli-process.ts';
import { newKey, publish, renderManifests, writeManifests } from '../../../devenv/fixtures/modules.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';

let work: string;
let store: string;
let keyFile: string;
let ref: string;
const procs: Proc[] = [];

function startNodeProcess(manifests: string): Proc {
  const p = run('node', ['node', '--manifests', manifests, '--local-store', store, '--trust-key', keyFile, '--port', '0', '--admin-port', '0', '--workers', '1', '--cache-dir', join(work, 'cache'), '--state-dir', join(work, 'state'), '--node-name', 'edge-box']);
  procs.push(p);
  return p;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'flotilla-manifest-input-'));
  store = join(work, 'store');
  const key = newKey();
  keyFile = join(work, 'cosign.pub');
  await writeFile(keyFile, key.publicPem);
  ref = await publish({ kind: 'registry', registry: 'registry.local', repository: 'flotilla/hello' }, wagiHello(), key, store);
});

afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await rm(work, { recursive: true, force: true });
});

describe('flotilla node --manifests follows the directory', () => {
  it('applies every atomic rename over a manifest file, not only the first', async () => {
    const dir = join(work, 'renamed');
    await writeManifests(dir, 'functions.yaml', renderManifests([{ name: 'one', ref }]));
    const p = startNodeProcess(dir);
    const url = (await awaitOutput(p, /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"Node runtime listening"/))[1]!;
    const answers = (name: string) => waitFor(async () => ((await request(url, `/${name}`, { host: 'fn.test' })).status === 200 ? true : undefined), { timeoutMs: 15_000, what: `${name} to answer after an atomic rename` });
    await answers('one');
    const names = ['one'];
    for (const next of ['two', 'three', 'four']) {
      names.push(next);
      // Written elsewhere, renamed over the watched file: how vim, git checkout and ConfigMap volumes write.
      await writeFile(join(work, 'next.yaml'), renderManifests(names.map((name) => ({ name, ref }))));
      await rename(join(work, 'next.yaml'), join(dir, 'functions.yaml'));
      await answers(next);
    }
    expect((await request(url, '/one', { host: 'fn.test' })).status).toBe(200);
  });
});

describe('flotilla node --manifests refuses what it would silently drop or replace', () => {
  const doc = (name: string, apiVersion = 'flotilla.dev/v1alpha1') => renderManifests([{ name, ref }]).replace(/^apiVersion: flotilla\.dev\/v1alpha1/m, `apiVersion: ${apiVersion}`);

  it('a WasmFunction defined twice: does not start, naming both files', async () => {
    const dir = join(work, 'duplicate');
    await writeManifests(dir, 'a.yaml', doc('same'));
    await writeManifests(dir, 'b.yaml', doc('same').replace('pathPrefix: /same', 'pathPrefix: /other').replace('kind: FunctionRoute\nmetadata:\n  name: same', 'kind: FunctionRoute\nmetadata:\n  name: other'));
    const p = startNodeProcess(dir);
    await p.exited;
    expect(p.child.exitCode).not.toBe(0);
    expect(p.output).toMatch(/b\.yaml#0: WasmFunction edge\/same is defined twice \(first in a\.yaml#0\)/);
  });

  it('an apiVersion typo: does not start, naming the file and the field', async () => {
    const dir = join(work, 'typo');
    await writeManifests(dir, 'fn.yaml', doc('typo', 'flotila.dev/v1alpha1'));
    const p = startNodeProcess(dir);
    await p.exited;
    expect(p.child.exitCode).not.toBe(0);
    expect(p.output).toMatch(/fn\.yaml#0: apiVersion "flotila\.dev\/v1alpha1" of kind "WasmFunction" is not served by Flotilla; expected flotilla\.dev\/v1alpha1/);
  });

  it('a running node keeps its last good state when an edit adds a duplicate, and says why', async () => {
    const dir = join(work, 'edit');
    await writeManifests(dir, 'a.yaml', doc('kept'));
    const p = startNodeProcess(dir);
    const url = (await awaitOutput(p, /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"Node runtime listening"/))[1]!;
    await waitFor(async () => ((await request(url, '/kept', { host: 'fn.test' })).status === 200 ? true : undefined), { timeoutMs: 15_000, what: 'kept to answer' });
    await writeManifests(dir, 'b.yaml', doc('kept'));
    await awaitOutput(p, /Kept the last good state: .*b\.yaml#0: WasmFunction edge\/kept is defined twice/);
    expect((await request(url, '/kept', { host: 'fn.test' })).status).toBe(200);
  });
});
