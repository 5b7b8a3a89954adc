/**
 * Builds the kv-* example functions from source. They import a language binding from
 * examples/bindings/, which the shared example builder (examples/functions/build.ts) does not hash
 * or copy, so they have their own small builder here: the same compiler flags, a cache keyed by
 * the example's and the binding's sources and the toolchain's version.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const EXAMPLES = join(ROOT, 'examples', 'functions');
const BINDINGS = join(ROOT, 'examples', 'bindings');

export const KV_EXAMPLES = {
  'kv-counter': { language: 'c', entry: 'kv-counter.c', binding: 'c' },
  'kv-notes': { language: 'go', entry: '.', binding: 'go' },
  'kv-visits': { language: 'assemblyscript', entry: 'kv-visits.as', binding: 'assemblyscript' },
} as const;
export type KvExample = keyof typeof KV_EXAMPLES;

const C_FLAGS = ['--target=wasm32-wasi', '-O2', '-nostdlibinc', '-isystem', '/usr/include/wasm32-wasi', '-Wall', '-Wextra', '-Werror', '-Wl,--stack-first', '-Wl,--strip-debug'];
const GO_ENV = { GOOS: 'wasip1', GOARCH: 'wasm', CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '' };

async function digestDir(dir: string): Promise<string> {
  const h = createHash('sha256');
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
  for (const f of entries) h.update(relative(dir, f)).update(await readFile(f));
  return h.digest('hex');
}

async function toolchainId(language: string): Promise<string> {
  if (language === 'c') return (await execa('clang', ['--version'])).stdout.split('\n')[0]!;
  if (language === 'go') return (await execa('go', ['version'])).stdout;
  return (JSON.parse(await readFile(createRequire(import.meta.url).resolve('assemblyscript/package.json'), 'utf8')) as { version: string }).version;
}

/** Builds (or finds cached) one kv example; returns the .wasm path. */
export async function buildKvExample(name: KvExample): Promise<string> {
  const recipe = KV_EXAMPLES[name];
  const src = join(EXAMPLES, name);
  const bindingDir = join(BINDINGS, recipe.binding);
  const key = createHash('sha256').update(JSON.stringify([name, await digestDir(src), await digestDir(bindingDir), await toolchainId(recipe.language), C_FLAGS])).digest('hex').slice(0, 16);
  const cacheDir = join(process.env['FLOTILLA_CACHE_DIR'] ?? join(homedir(), '.cache', 'flotilla'), 'examples');
  const out = join(cacheDir, `${name}-${key}.wasm`);
  if (await stat(out).then(() => true, () => false)) return out;
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, `.build-${name}-`));
  try {
    const tmp = join(work, 'out.wasm');
    if (recipe.language === 'c') {
      await execa('clang', [...C_FLAGS, '-o', tmp, recipe.entry], { cwd: src });
    } else if (recipe.language === 'go') {
      await execa('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags=-s -w -buildid=', '-o', tmp, recipe.entry], { cwd: src, env: GO_ENV });
    } else {
      const require = createRequire(import.meta.url);
      const asc = require.resolve('assemblyscript/bin/asc.js');
      const shim = require.resolve('@assemblyscript/wasi-shim/asconfig.json');
      const nodeModules = join(dirname(shim), '..', '..');
      await copyFile(join(src, recipe.entry), join(work, 'index.ts'));
      await copyFile(join(bindingDir, 'flotilla_kv.as'), join(work, 'flotilla_kv.ts'));
      await symlink(nodeModules, join(work, 'node_modules'));
      await execa(process.execPath, [asc, 'index.ts', '--config', join('node_modules', relative(nodeModules, shim)), '-O3', '--noAssert', '--runtime', 'stub', '--noColors', '-o', tmp], { cwd: work });
    }
    await rename(tmp, out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}
