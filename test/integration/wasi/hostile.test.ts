/**
 * A module trying to hurt the node through WASI, run on the real engine (runCommand, as
 * `flotilla run` does): host fds leaked through fd_renumber, host memory through iovec counts,
 * descriptors without end, and a symlink swapped in mid-walk by a second party sharing the volume.
 */
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_OPEN_FDS } from '../../../node-runtime/wasi/limits.ts';
import { buildProgram, runOurs, sandboxPreopen } from './harness.ts';

const program = (name: string) => buildProgram(join(import.meta.dirname, 'hostile', name));
const hostFds = () => readdirSync('/proc/self/fd').length;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function sandbox(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-wasi-hostile-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('a hostile module cannot hurt the node through WASI', () => {
  it('leaks no host fd through fd_renumber, and every fd it leaves open is closed when it ends', async () => {
    const wasm = await program('renumber-leak');
    const dir = sandbox({ 'a.txt': 'a' });
    await runOurs(wasm, {}, sandboxPreopen(dir));
    const before = hostFds();
    const run = await runOurs(wasm, {}, sandboxPreopen(dir));
    expect(run).toMatchObject({ exit: 0, stdout: 'done\n' });
    expect(hostFds()).toBe(before);
  });

  it('answers NOMEM for an iovec array past the hostcall fuel, before touching it', async () => {
    const run = await runOurs(await program('iovec-flood'), { args: ['268435457'] }, sandboxPreopen(sandbox({})));
    expect(run).toMatchObject({ exit: 0, stdout: 'errno=NOMEM n=0\n' });
  });

  it('turns millions of one-byte iovecs into bytes, not host objects', async () => {
    const wasm = await program('iovec-flood');
    const dir = sandbox({});
    global.gc?.();
    const before = process.memoryUsage().rss;
    const run = await runOurs(wasm, { args: ['4000000'] }, sandboxPreopen(dir));
    const grown = process.memoryUsage().rss - before;
    expect(run.stdout).toBe('errno=OK n=4000000\n');
    expect(run.stderr.length).toBe(4_000_000);
    // The module's own memory (~32 MiB of iovecs) and the 4 MB collected are all that may stay.
    expect(grown).toBeLessThan(256 << 20);
  });

  it('gets MFILE past the per-instance descriptor limit', async () => {
    const before = hostFds();
    const run = await runOurs(await program('open-loop'), {}, sandboxPreopen(sandbox({ 'a.txt': 'a' })));
    expect(run.stdout).toBe(`opened ${MAX_OPEN_FDS - 4} then MFILE\n`);
    expect(hostFds()).toBe(before);
  });

  it('never reads outside the volume while another party swaps a directory for a symlink out of it', async () => {
    const wasm = await program('swap-race');
    const dir = sandbox({});
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'secret'), 'inside');
    const outside = sandbox({ secret: 'OUTSIDE' });
    const flipper = execa(process.execPath, [
      '-e',
      `const fs = require('fs'); const [dir, out] = process.argv.slice(1); const end = Date.now() + 4000;
       while (Date.now() < end) { fs.renameSync(dir + '/d', dir + '/d-real'); fs.symlinkSync(out, dir + '/d'); fs.unlinkSync(dir + '/d'); fs.renameSync(dir + '/d-real', dir + '/d'); }`,
      dir,
      outside,
    ]);
    await new Promise((r) => setTimeout(r, 200));
    const run = await runOurs(wasm, { args: ['30000'] }, sandboxPreopen(dir));
    await flipper;
    const [, inside, escaped] = /inside=(\d+) escaped=(\d+)/.exec(run.stdout)!.map(Number);
    expect(inside).toBeGreaterThan(0);
    expect(escaped).toBe(0);
  }, 30_000);
});
