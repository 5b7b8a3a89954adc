/**
 * The native baseline of the cold-start benchmark (docs/performance.md, DESIGN.md §8): the `echo`
 * example built natively as a static binary and run in a runc container, one container per request.
 *
 * prepareRuncBundle builds the OCI bundle once per (source, gcc, glibc, config) into the cache;
 * runRuncOnce starts one container, returns what the function wrote and removes the container.
 */
import { execa } from 'execa';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { toolPath } from '../../devenv/tools/paths.ts';
import { buildKey, cacheRoot, publishDir, sha256Hex } from '../../examples/functions/cache.ts';
import { exampleDir } from '../../examples/functions/build.ts';
import { findOnPath, runCompiler } from '../../examples/functions/toolchains.ts';
import { RUNC_BINARY, runcConfig } from './config.ts';
import { RuncError } from './errors.ts';

export interface RuncBundle {
  /** Directory with config.json and rootfs/, ready for `runc run --bundle`. */
  readonly bundleDir: string;
}

export interface RuncBundleOptions {
  /** @default `<FLOTILLA_CACHE_DIR or ~/.cache/flotilla>/runc` */
  readonly cacheDir?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** glibc's static archive, whose digest keys the bundle (Debian package libc6-dev). */
const STATIC_LIBC = '/usr/lib/x86_64-linux-gnu/libc.a';

const GCC_FLAGS = ['-static', '-O2', '-Wall', '-Wextra', '-Werror'] as const;

/** Builds (or finds in the cache) the OCI bundle of the natively built echo function. */
export async function prepareRuncBundle(options: RuncBundleOptions = {}): Promise<RuncBundle> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const cacheDir = resolve(options.cacheDir ?? join(cacheRoot(env), 'runc'));
  const gcc = findOnPath('gcc', env);
  if (!gcc) throw new RuncError('RuncMissing', "the runc baseline needs gcc on PATH to build echo natively: install the Debian packages gcc and libc6-dev");
  const libc = await readFile(STATIC_LIBC).catch((cause: unknown) => {
    throw new RuncError('RuncMissing', `the runc baseline links echo statically: expected ${STATIC_LIBC} (Debian package libc6-dev)`, { cause });
  });
  const source = join(exampleDir('echo'), 'echo.c');
  const gccVersion = (await execa(gcc, ['--version'], { env, extendEnv: false })).stdout.split('\n', 1)[0];
  const config = runcConfig();
  const key = buildKey({ source: sha256Hex(await readFile(source)), gcc: gccVersion, libc: sha256Hex(libc), flags: GCC_FLAGS, config });
  const bundleDir = join(cacheDir, `echo-${key}`);
  if (existsSync(join(bundleDir, 'config.json'))) {
    log(`runc bundle: cached ${bundleDir}`);
    return { bundleDir };
  }

  log('runc bundle: building echo natively (gcc -static -O2)');
  await mkdir(cacheDir, { recursive: true });
  const workDir = await mkdtemp(join(cacheDir, '.build-echo-'));
  try {
    const rootfs = join(workDir, 'rootfs');
    // The mount points exist up front: runc cannot create them in a read-only rootfs.
    await Promise.all(['proc', 'dev'].map((d) => mkdir(join(rootfs, d), { recursive: true })));
    await runCompiler(gcc, [...GCC_FLAGS, '-o', join(rootfs, RUNC_BINARY), source], { cwd: workDir, env });
    // config.json last: its presence marks a complete bundle.
    await writeFile(join(workDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    await publishDir(workDir, bundleDir);
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
  log(`runc bundle: built ${bundleDir}`);
  return { bundleDir };
}

export interface RuncRun {
  /** What the function wrote to stdout (CGI headers, blank line, body). */
  readonly stdout: string;
  /** Wall time of `runc run` alone: container creation, the function, teardown. */
  readonly runMs: number;
}

/** Starts one container from `bundleDir`, waits for it to exit and removes it. */
export async function runRuncOnce(bundleDir: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<RuncRun> {
  const env = options.env ?? process.env;
  let runc: string;
  try {
    runc = toolPath('runc', env);
  } catch (cause) {
    throw new RuncError('RuncMissing', "the runc baseline needs runc (Debian package runc): run 'npm run setup'", { cause });
  }
  const id = `flotilla-baseline-${process.pid}-${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  const result = await execa(runc, ['run', '--bundle', bundleDir, id], { env, extendEnv: false, stdin: 'ignore', reject: false, stripFinalNewline: false });
  const runMs = performance.now() - started;
  try {
    if (result.failed) {
      throw new RuncError('RuncFailed', `runc run ${id} (bundle ${bundleDir}) exited ${result.exitCode ?? 'by signal'}: ${result.stderr || result.message}`);
    }
    return { stdout: result.stdout, runMs };
  } finally {
    // `runc run` in the foreground destroys the container on exit; delete --force covers the
    // paths where it could not (a failed start leaves a created container behind).
    await execa(runc, ['delete', '--force', id], { env, extendEnv: false, reject: false });
  }
}

