import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeEntries, writeTarLayer } from './tar-layer.ts';
import type { LayerEntry } from './tar-layer.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-tar-layer-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const file = (path: string, body: string, mode = 0o644): LayerEntry => ({ kind: 'file', path, mode, content: Buffer.from(body) });

interface ReadEntry { name: string; type: string; mode: number; uid: number; mtime: number; uname: string; body: string }

async function readTar(path: string): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
      const h = entry.header;
      out.push({ name: h.name, type: h.type, mode: h.mode, uid: h.uid, mtime: h.mtime.getTime(), uname: h.uname, body: Buffer.concat(chunks).toString() });
    }
  })();
  extract.end(await readFile(path));
  await reading;
  return out;
}

describe('normalizeEntries', () => {
  it('adds missing parents and sorts bytewise, whatever order the entries came in', () => {
    const entries = [file('b/z', 'z'), file('B/a', 'a'), file('a', 'a')];
    expect(normalizeEntries(entries).map((e) => e.path)).toEqual(['B', 'B/a', 'a', 'b', 'b/z']);
    expect(normalizeEntries([...entries].reverse())).toEqual(normalizeEntries(entries));
  });

  it.each([['/etc/passwd'], ['a/../b'], ['./a'], ['a/'], ['']])('refuses the path %j', (path) => {
    expect(() => normalizeEntries([file(path, 'x')])).toThrow(/expected a relative path/);
  });

  it('refuses two entries for one path, and a file where a directory must be', () => {
    expect(() => normalizeEntries([file('a', '1'), file('a', '2')])).toThrow(/expected one entry per path, got a file and a file/);
    expect(() => normalizeEntries([file('a', '1'), file('a/b', '2')])).toThrow(/its parent a is a file/);
  });

  it('merges the same directory listed twice', () => {
    expect(normalizeEntries([{ kind: 'dir', path: 'lib', mode: 0o755 }, { kind: 'dir', path: 'lib', mode: 0o755 }])).toHaveLength(1);
  });
});

describe('writeTarLayer', () => {
  const entries: LayerEntry[] = [
    file('app/main.ts', 'console.log(1)\n'),
    file('usr/local/bin/node', '\x7fELF', 0o755),
    { kind: 'symlink', path: 'lib64/ld.so', target: '/lib/ld.so' },
    { kind: 'dir', path: 'tmp', mode: 0o1777 },
    { kind: 'dir', path: 'home/app', mode: 0o755, uid: 65532, gid: 65532 },
  ];

  it('gives the same bytes for the same entries in any order', async () => {
    const a = await writeTarLayer(entries, join(dir, 'a.tar'));
    const b = await writeTarLayer([...entries].reverse(), join(dir, 'b.tar'));
    expect(b).toEqual(a);
    expect(await readFile(join(dir, 'b.tar'))).toEqual(await readFile(join(dir, 'a.tar')));
  });

  it('writes fixed times, numeric owners, the modes given and the link targets', async () => {
    await writeTarLayer(entries, join(dir, 'c.tar'));
    const read = await readTar(join(dir, 'c.tar'));
    expect(read.map((e) => e.name)).toEqual(['app/', 'app/main.ts', 'home/', 'home/app/', 'lib64/', 'lib64/ld.so', 'tmp/', 'usr/', 'usr/local/', 'usr/local/bin/', 'usr/local/bin/node']);
    expect(new Set(read.map((e) => e.mtime))).toEqual(new Set([0]));
    expect(new Set(read.map((e) => e.uname))).toEqual(new Set(['']));
    expect(read.find((e) => e.name === 'tmp/')).toMatchObject({ type: 'directory', mode: 0o1777 });
    expect(read.find((e) => e.name === 'home/app/')).toMatchObject({ uid: 65532 });
    expect(read.find((e) => e.name === 'usr/local/bin/node')).toMatchObject({ type: 'file', mode: 0o755, body: '\x7fELF' });
    expect(read.find((e) => e.name === 'lib64/ld.so')).toMatchObject({ type: 'symlink' });
  });

  it('changes the digest when one byte of content changes', async () => {
    const a = await writeTarLayer(entries, join(dir, 'd.tar'));
    const b = await writeTarLayer([...entries.slice(1), file('app/main.ts', 'console.log(2)\n')], join(dir, 'e.tar'));
    expect(b.digest).not.toBe(a.digest);
  });
});
