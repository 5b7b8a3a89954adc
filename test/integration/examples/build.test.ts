/**
 * The example functions build from source with the real toolchains, into valid WASI command modules,
 * reproducibly (two independent builds, byte-identical), and the cache serves an unchanged example
 * without rebuilding it.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAllExamples, buildExample } from '../../../examples/functions/build.ts';
import { EXAMPLE_NAMES, EXAMPLES, type ExampleName } from '../../../examples/functions/catalog.ts';
import { ExampleBuildError } from '../../../examples/functions/errors.ts';

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

describe('example builds', () => {
  let first: Record<ExampleName, string>;
  let second: Record<ExampleName, string>;
  const dirs: string[] = [];

  beforeAll(async () => {
    // Two fresh caches at different paths: nothing is shared but the toolchains (and Go's own
    // content-addressed compile cache), so equal bytes mean the pipeline embeds no paths, times or ids.
    for (const prefix of ['flotilla-examples-a-', 'flotilla-examples-second-']) dirs.push(await mkdtemp(join(tmpdir(), prefix)));
    first = await buildAllExamples({ cacheDir: dirs[0]! });
    second = await buildAllExamples({ cacheDir: dirs[1]! });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  describe.each(EXAMPLE_NAMES)('%s', (name) => {
    it('is a valid WASI preview1 command module', async () => {
      const bytes = await readFile(first[name]);
      expect(WebAssembly.validate(bytes)).toBe(true);
      const module = new WebAssembly.Module(bytes);
      const exports = WebAssembly.Module.exports(module).map((e) => `${e.kind}:${e.name}`);
      expect(exports).toEqual(expect.arrayContaining(['function:_start', 'memory:memory']));
      // WASI only, plus the flotilla:kv host module for the examples built against its binding.
      const importModules = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
      const allowed = 'binding' in EXAMPLES[name] ? ['wasi_snapshot_preview1', 'flotilla:kv'] : ['wasi_snapshot_preview1'];
      expect([...importModules].sort()).toEqual(allowed.sort());
    });

    it('builds reproducibly: two builds, same sha256', async () => {
      expect(first[name]).not.toBe(second[name]);
      expect(await sha256(second[name])).toBe(await sha256(first[name]));
    });
  });

  it('serves an unchanged example from the cache without rebuilding', async () => {
    const lines: string[] = [];
    const before = await stat(first.echo);
    const path = await buildExample('echo', { cacheDir: dirs[0]!, log: (l) => lines.push(l) });
    expect(path).toBe(first.echo);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
    expect(lines).toEqual([`echo: cached ${path}`]);
  });

  it('rejects an unknown example with the list of known ones', async () => {
    const err = await buildExample('nope', { cacheDir: dirs[0]! }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExampleBuildError);
    expect((err as ExampleBuildError).code).toBe('UnknownExample');
    expect((err as ExampleBuildError).message).toBe(`expected an example name (${EXAMPLE_NAMES.join(', ')}), got 'nope'`);
    expect(EXAMPLE_NAMES).toEqual(expect.arrayContaining(['echo', 'compute', 'hello', 'misbehave']));
  });

  it('names the missing toolchain and how to get it', async () => {
    // A real missing tool: no go on this PATH.
    const err = await buildExample('compute', { cacheDir: dirs[0]!, env: { ...process.env, PATH: '/nonexistent' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExampleBuildError);
    expect((err as ExampleBuildError).code).toBe('ToolchainMissing');
    expect((err as ExampleBuildError).message).toMatch(/go command .* not found on PATH; install Go/);
  });
});
