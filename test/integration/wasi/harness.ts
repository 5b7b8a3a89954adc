/**
 * The WASI differential suite's machinery: a case is a folder under cases/ holding one program
 * (main.c, main.go or main.as) and a case.json; it is compiled with the examples' toolchains
 * (cached by source and toolchain), then run under the pinned wasmtime CLI and under our engine
 * with the same sandbox contents preopened as /sandbox, and the two runs are compared.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { toolPath } from '../../../devenv/tools/paths.ts';
import { buildKey, cacheRoot, publishFile, sourceDigests } from '../../../examples/functions/cache.ts';
import type { Language } from '../../../examples/functions/catalog.ts';
import { probeToolchain } from '../../../examples/functions/toolchains.ts';
import { runCommand } from '../../../node-runtime/engine/run-command.ts';
import { NodeRuntimeError } from '../../../node-runtime/errors.ts';
import { ModuleLoader } from '../../../node-runtime/loader/module-loader.ts';
import { functionFromArg } from '../../../node-runtime/standalone/module-arg.ts';
import { CollectingSink, bytesInput } from '../../../node-runtime/wasi/host.ts';
import type { Preopen } from '../../../node-runtime/wasi/preopen-fs.ts';

export const CASES_DIR = join(import.meta.dirname, 'cases');

/** One run of a case's program. */
export interface CaseRun {
  readonly args?: readonly string[];
  readonly stdin?: string;
}

/** case.json: the sandbox a program starts with and its runs (one plain run by default). */
export interface CaseSpec {
  readonly runs?: readonly CaseRun[];
  /** Files to create in the sandbox before the run: relative path -> content. */
  readonly files?: Readonly<Record<string, string>>;
  /** Symlinks to create in the sandbox: relative path -> target. */
  readonly symlinks?: Readonly<Record<string, string>>;
  /** Why the case exists, or what it deliberately leaves out. */
  readonly notes?: string;
}

/** One run's observable result. */
export interface RunOutcome {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code, or 'trap' when the module trapped. */
  readonly exit: number | 'trap';
}

const SOURCES: Readonly<Record<string, Language>> = { 'main.c': 'c', 'main.go': 'go', 'main.as': 'assemblyscript' };

/** Every run of every case, named "case" or "case args...". */
export function caseRuns(): { name: string; label: string; spec: CaseSpec; run: CaseRun }[] {
  return caseNames().flatMap((name) => {
    const spec = readCase(name);
    return (spec.runs ?? [{}]).map((run) => ({ name, label: [name, ...(run.args ?? [])].join(' '), spec, run }));
  });
}

/** The cases: every folder of cases/ with a program in it. */
export function caseNames(): string[] {
  return readdirSync(CASES_DIR)
    .sort()
    .filter((n) => Object.keys(SOURCES).some((s) => existsSync(join(CASES_DIR, n, s))));
}

export function readCase(name: string): CaseSpec {
  const file = join(CASES_DIR, name, 'case.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CaseSpec) : {};
}

/** Compiles a case (or finds it in the cache) and returns its .wasm path. */
export function buildCase(name: string): Promise<string> {
  return buildProgram(join(CASES_DIR, name));
}

/** Compiles the program in `dir` (main.c, main.go or main.as; cached) and returns its .wasm path. */
export async function buildProgram(dir: string): Promise<string> {
  const name = basename(dir);
  const entry = Object.keys(SOURCES).find((s) => existsSync(join(dir, s)))!;
  const toolchain = await probeToolchain(SOURCES[entry]!, process.env);
  // The shared C header lives beside the cases: part of every C case's key.
  const key = buildKey({ name, toolchain: toolchain.identity, sources: await sourceDigests(dir, []), lib: await sourceDigests(join(CASES_DIR, '_lib'), []) });
  const cacheDir = join(cacheRoot(), 'wasi-cases');
  const out = join(cacheDir, `${name}-${key}.wasm`);
  if (existsSync(out)) return out;
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, `.build-${name}-`));
  try {
    await toolchain.compile(dir, entry, work, join(work, 'out.wasm'));
    await publishFile(join(work, 'out.wasm'), out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}

/** A fresh sandbox directory holding the case's files and symlinks. */
export function makeSandbox(spec: CaseSpec): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-wasi-sandbox-'));
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  for (const [path, target] of Object.entries(spec.symlinks ?? {})) symlinkSync(target, join(dir, path));
  return dir;
}

/** Runs `wasm` under the pinned wasmtime CLI with `sandbox` preopened as /sandbox. */
export async function runWasmtime(wasm: string, spec: CaseRun, sandbox: string): Promise<RunOutcome> {
  const r = await execa(toolPath('wasmtime'), ['run', '--dir', `${sandbox}::/sandbox`, wasm, ...(spec.args ?? [])], {
    input: spec.stdin ?? '',
    reject: false,
    stripFinalNewline: false,
    env: { RUST_BACKTRACE: '0' },
    extendEnv: false,
  });
  // A wasm trap exits 128 + SIGABRT; a host call's refusal (a pointer outside memory, an invalid
  // flag) exits 1 with "Error: failed to run main module": both are traps to the module.
  const refused = r.exitCode === 1 && (r.stderr).startsWith('Error: failed to run main module');
  const exit = r.exitCode === 134 || refused ? 'trap' : (r.exitCode ?? -1);
  return { stdout: r.stdout, stderr: r.stderr, exit };
}

/** Runs `wasm` on our engine (as `flotilla run` does) with the given preopens. */
export async function runOurs(wasm: string, spec: CaseRun, preopens: readonly Preopen[]): Promise<RunOutcome> {
  const fn = await functionFromArg(wasm, { memoryPages: 16384, timeoutMs: 0, concurrency: 1, env: [], preopens, pull: {} });
  const { loaded } = await new ModuleLoader({}).load(fn);
  const overflow = (): never => {
    throw new Error('expected at most 64 MiB of output');
  };
  const stdout = new CollectingSink(64 << 20, overflow);
  const stderr = new CollectingSink(64 << 20, overflow);
  let exit: number | 'trap';
  try {
    exit = await runCommand(loaded, { args: [wasm, ...(spec.args ?? [])], env: [], stdin: bytesInput(new TextEncoder().encode(spec.stdin ?? '')), stdout, stderr });
  } catch (err) {
    if (!(err instanceof NodeRuntimeError) || (err.code !== 'Trap' && err.code !== 'StackOverflow' && err.code !== 'MemoryLimitExceeded')) throw err;
    stderr.write(new TextEncoder().encode(err.message));
    exit = 'trap';
  }
  const text = (s: CollectingSink) => new TextDecoder().decode(s.bytes());
  return { stdout: text(stdout), stderr: text(stderr), exit };
}

/** Our engine with `sandbox` as /sandbox, read-write, the way the suite runs wasmtime. */
export function sandboxPreopen(sandbox: string): Preopen[] {
  return [{ hostPath: sandbox, guestPath: '/sandbox', readOnly: false }];
}

/** Lists the tree under `dir` (names, kinds and file contents) for comparing two sandboxes after a run. */
export async function treeOf(dir: string): Promise<string> {
  const r = await execa('find', ['.', '-printf', '%P %y %s\\n'], { cwd: dir });
  return r.stdout.split('\n').sort().join('\n');
}
