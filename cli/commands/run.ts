import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { compilePolicy } from '../../artifacts/index.ts';
import { DiskCache } from '../../node-runtime/cache/disk-cache.ts';
import { fdSink, processStdin, runCommand } from '../../node-runtime/engine/run-command.ts';
import { ModuleLoader } from '../../node-runtime/loader/module-loader.ts';
import { functionFromArg, parseDirs, parseEnv } from '../../node-runtime/standalone/module-arg.ts';
import { loadTrust } from '../../node-runtime/standalone/trust.ts';
import { NodeRuntimeError } from '../../node-runtime/errors.ts';

interface RunFlags {
  env: string[];
  dir: string[];
  memoryPages: string;
  trustKey: string[];
  trustPolicy?: string;
  localStore?: string;
  cacheDir: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Default module cache of the CLI (outside any checkout). */
export const CLI_CACHE_DIR = join(homedir(), '.cache', 'flotilla', 'modules');

/** Parses a positive integer flag. */
export function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new NodeRuntimeError('InvalidArgument', `${name}: expected an integer ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** `flotilla run`: one module as a command on the node's engine; exit code and stdout are the module's. */
export function register(program: Command): void {
  program
    .command('run')
    .description('Run a WASI command module (file or OCI reference) like `wasmtime run`: stdin/stdout/stderr and exit code are the module\'s')
    .argument('<module>', 'a .wasm file, or an OCI reference (verified against --trust-key/--trust-policy before it runs)')
    .argument('[args...]', 'arguments for the module (after --)')
    .option('--env <NAME=value>', 'environment variable for the module (repeatable); none by default', collect, [])
    .option('--dir <host[:guest][:ro]>', 'preopen a host directory (repeatable); none by default', collect, [])
    .option('--memory-pages <n>', 'memory limit in 64 KiB pages', '16384')
    .option('--trust-key <file>', 'PEM public key trusted for OCI modules (repeatable)', collect, [])
    .option('--trust-policy <file>', 'trust policy JSON { keys, identities } for OCI modules')
    .option('--local-store <dir>', 'read registry references from OCI layouts under <dir>/<host>/<repo>')
    .option('--cache-dir <dir>', 'module cache directory', CLI_CACHE_DIR)
    .action(async (module: string, args: string[], flags: RunFlags) => {
      const fn = await functionFromArg(module, {
        memoryPages: intFlag('--memory-pages', flags.memoryPages, 1, 65536),
        timeoutMs: 0,
        concurrency: 1,
        env: parseEnv(flags.env),
        preopens: parseDirs(flags.dir),
        pull: flags.localStore !== undefined ? { localStore: flags.localStore } : {},
      });
      const oci = fn.module.kind === 'oci';
      const loader = new ModuleLoader({
        ...(oci ? { cache: await DiskCache.open(flags.cacheDir, 1 << 30), policy: compilePolicy(await loadTrust(flags.trustKey, flags.trustPolicy)) } : {}),
        ...(flags.localStore !== undefined ? { pull: { localStore: flags.localStore } } : {}),
      });
      const { loaded } = await loader.load(fn);
      const code = await runCommand(loaded, {
        args: [module, ...args],
        env: fn.env.map((e) => `${e.name}=${e.value}`),
        stdin: processStdin(),
        stdout: fdSink(1),
        stderr: fdSink(2),
      });
      process.exitCode = code;
    });
}
