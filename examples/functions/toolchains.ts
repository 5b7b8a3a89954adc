/**
 * The compilers behind the examples, one per language. `probeToolchain` finds the tools, fails with
 * a ToolchainMissing that names the missing piece and how to install it, and returns the toolchain's
 * identity (versions and flags: everything besides the sources that decides the output bytes) plus
 * a `compile` that writes one .wasm.
 *
 * Every flag set here serves reproducibility, because rendered GitOps manifests pin module digests:
 * no debug info or paths in C output, -trimpath and no build id or VCS stamp in Go output.
 */
import { execa } from 'execa';
import { accessSync, constants } from 'node:fs';
import { access, copyFile, readdir, readFile, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, relative } from 'node:path';
import { toolPath } from '../../devenv/tools/paths.ts';
import type { Language } from './catalog.ts';
import { sha256Hex } from './cache.ts';
import { ExampleBuildError } from './errors.ts';

export interface Toolchain {
  readonly language: Language;
  /** Versions, library digests and flags; part of the cache key. */
  readonly identity: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Compiles `entry` (relative to `sourceDir`) into `outFile`, using `workDir` for scratch files.
   * `bindingDir`: the flotilla:kv binding the sources import, when they do.
   */
  compile(sourceDir: string, entry: string, workDir: string, outFile: string, bindingDir?: string): Promise<void>;
}

const SETUP_HINT = "run 'npm run setup' (it installs the Debian toolchain packages listed in devenv/tools/versions.json)";

// Debian's wasi-libc is installed multiarch style rather than as a sysroot tree.
const WASI_INCLUDE = '/usr/include/wasm32-wasi';
const WASI_LIB = '/usr/lib/wasm32-wasi';

const C_FLAGS = [
  '--target=wasm32-wasi',
  '-O2',
  // Only wasi-libc's headers: the host's /usr/include (which clang also searches) must never leak in.
  '-nostdlibinc',
  '-isystem',
  WASI_INCLUDE,
  '-Wall',
  '-Wextra',
  '-Werror',
  // Stack below the data: an overflow runs below address 0 and traps instead of corrupting globals.
  '-Wl,--stack-first',
  // libc.a carries DWARF; the name section stays so traps name the function.
  '-Wl,--strip-debug',
] as const;

const GO_FLAGS = ['-trimpath', '-buildvcs=false', '-ldflags=-s -w -buildid='] as const;

const ASC_FLAGS = ['-O3', '--noAssert', '--runtime', 'stub', '--noColors'] as const;

/** The toolchain for `language`, or ToolchainMissing. */
export function probeToolchain(language: Language, env: NodeJS.ProcessEnv): Promise<Toolchain> {
  switch (language) {
    case 'c':
      return probeClang(env);
    case 'go':
      return probeGo(env);
    case 'assemblyscript':
      return probeAssemblyScript(env);
  }
}

async function probeClang(env: NodeJS.ProcessEnv): Promise<Toolchain> {
  let clang: string;
  try {
    clang = toolPath('clang', env);
  } catch (cause) {
    throw new ExampleBuildError('ToolchainMissing', `C examples need clang (Debian package clang): not found; ${SETUP_HINT}`, { cause });
  }
  const libc = join(WASI_LIB, 'libc.a');
  const crt = join(WASI_LIB, 'crt1-command.o');
  await requireFile(libc, `C examples need wasi-libc: expected ${libc} (Debian package wasi-libc); ${SETUP_HINT}`);
  await requireFile(join(WASI_INCLUDE, 'stdio.h'), `C examples need wasi-libc headers: expected ${WASI_INCLUDE}/stdio.h (Debian package wasi-libc); ${SETUP_HINT}`);
  const builtins = (await run(clang, ['--target=wasm32-wasi', '-rtlib=compiler-rt', '-print-libgcc-file-name'], env)).trim();
  await requireFile(builtins, `C examples need the wasm32 compiler-rt builtins: expected ${builtins} (Debian package libclang-rt-14-dev-wasm32); ${SETUP_HINT}`);
  const linker = (await run(clang, ['--target=wasm32-wasi', '-print-prog-name=wasm-ld'], env)).trim();
  const linkerVersion = await run(linker, ['--version'], env).catch((cause: unknown) => {
    throw new ExampleBuildError('ToolchainMissing', `C examples need wasm-ld (Debian package lld): '${linker}' did not run; ${SETUP_HINT}`, { cause });
  });
  const [libcDigest, crtDigest, builtinsDigest] = await Promise.all([libc, crt, builtins].map(async (f) => sha256Hex(await readFile(f))));
  return {
    language: 'c',
    identity: {
      clang: firstLine(await run(clang, ['--version'], env)),
      wasmLd: firstLine(linkerVersion),
      'wasi-libc': libcDigest ?? '',
      crt1: crtDigest ?? '',
      builtins: builtinsDigest ?? '',
      flags: C_FLAGS,
    },
    async compile(sourceDir, entry, _workDir, outFile) {
      await runCompiler(clang, [...C_FLAGS, '-o', outFile, entry], { cwd: sourceDir, env });
    },
  };
}

async function probeGo(env: NodeJS.ProcessEnv): Promise<Toolchain> {
  const go = findOnPath('go', env);
  if (!go) {
    throw new ExampleBuildError('ToolchainMissing', `Go examples need the go command (Go 1.21 or newer, for GOOS=wasip1): not found on PATH; install Go and put its bin directory on PATH`);
  }
  // GOTOOLCHAIN=local: never download a toolchain; GOWORK=off: no go.work from a parent directory.
  const goEnv = { ...env, GOOS: 'wasip1', GOARCH: 'wasm', CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '' };
  return {
    language: 'go',
    identity: { go: firstLine(await run(go, ['version'], goEnv)), flags: GO_FLAGS },
    async compile(sourceDir, entry, _workDir, outFile) {
      await runCompiler(go, ['build', ...GO_FLAGS, '-o', outFile, entry], { cwd: sourceDir, env: goEnv });
    },
  };
}

async function probeAssemblyScript(env: NodeJS.ProcessEnv): Promise<Toolchain> {
  const missing = `AssemblyScript examples need the npm packages assemblyscript and @assemblyscript/wasi-shim: run 'npm install' in the repository root`;
  let asc: string;
  let shimConfig: string;
  try {
    const require = createRequire(import.meta.url);
    asc = require.resolve('assemblyscript/bin/asc.js');
    shimConfig = require.resolve('@assemblyscript/wasi-shim/asconfig.json');
  } catch (cause) {
    throw new ExampleBuildError('ToolchainMissing', missing, { cause });
  }
  await requireFile(asc, missing);
  const ascVersion = await packageVersion(join(dirname(asc), '..', 'package.json'));
  const shimVersion = await packageVersion(join(dirname(shimConfig), 'package.json'));
  const nodeModules = join(dirname(shimConfig), '..', '..');
  return {
    language: 'assemblyscript',
    identity: { assemblyscript: ascVersion, 'wasi-shim': shimVersion, flags: ASC_FLAGS },
    async compile(sourceDir, entry, workDir, outFile, bindingDir) {
      // asc only reads .ts entries; the source is kept as .as so the repo's tsc does not type-check
      // AssemblyScript (i32, its own std lib) as Node TypeScript. asc also finds the shim's library
      // only through a relative config path, so the work dir gets a node_modules link and asc runs
      // there: every path it sees is then the same on every build.
      await copyFile(join(sourceDir, entry), join(workDir, 'index.ts'));
      // The binding's .as files go next to the entry as .ts, where `import ... from "./flotilla_kv"` finds them.
      if (bindingDir) {
        for (const file of (await readdir(bindingDir)).filter((f) => f.endsWith('.as')).sort()) {
          await copyFile(join(bindingDir, file), join(workDir, `${file.slice(0, -'.as'.length)}.ts`));
        }
      }
      await symlink(nodeModules, join(workDir, 'node_modules'));
      const config = join('node_modules', relative(nodeModules, shimConfig));
      await runCompiler(process.execPath, [asc, 'index.ts', '--config', config, ...ASC_FLAGS, '-o', outFile], { cwd: workDir, env });
    },
  };
}

/** Runs a compiler; a non-zero exit becomes BuildFailed carrying its output, a missing binary ToolchainMissing. */
export async function runCompiler(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  const result = await execa(file, args, { cwd: options.cwd, env: options.env, extendEnv: false, reject: false, all: true });
  if (result.failed) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') throw new ExampleBuildError('ToolchainMissing', `expected '${file}' to exist: ${SETUP_HINT}`, { cause: result.cause });
    throw new ExampleBuildError('BuildFailed', `${file} ${args.join(' ')} (in ${options.cwd}) failed with exit code ${result.exitCode ?? 'none'}:\n${result.all ?? ''}`);
  }
}

async function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await execa(file, args, { env, extendEnv: false });
  return result.stdout;
}

async function requireFile(path: string, message: string): Promise<void> {
  try {
    await access(path);
  } catch (cause) {
    throw new ExampleBuildError('ToolchainMissing', message, { cause });
  }
}

async function packageVersion(packageJson: string): Promise<string> {
  const parsed = JSON.parse(await readFile(packageJson, 'utf8')) as { version?: unknown };
  return String(parsed.version);
}

/** Absolute path of `bin` in env.PATH, for tools not pinned in devenv/tools/versions.json. */
export function findOnPath(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir && isExecutableSync(join(dir, bin))) return join(dir, bin);
  }
  return undefined;
}

function isExecutableSync(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
