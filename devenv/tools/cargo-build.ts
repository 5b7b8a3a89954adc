/**
 * Builds one pinned crate from the Rust crate registry into the tool cache (`cargo install
 * --locked`, only the binaries named), installed like the Go tools: temp dir, rename, stamp last.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildLog, buildRoot, installTool } from './go-build.ts';
import type { CargoBuild } from './paths.ts';
import { run, SetupError } from './run.ts';

/** The cargo command: on PATH, else rustup's default ~/.cargo/bin. */
export function cargoBinary(env: NodeJS.ProcessEnv = process.env): string {
  for (const dir of [...(env['PATH'] ?? '').split(':'), join(homedir(), '.cargo', 'bin')]) {
    if (dir && existsSync(join(dir, 'cargo'))) return join(dir, 'cargo');
  }
  throw new SetupError("Cargo tools: expected a 'cargo' command on PATH or in ~/.cargo/bin, got none; install Rust with rustup");
}

/** Builds every tool of `build` and installs it into the cache. */
export async function cargoBuild(build: CargoBuild): Promise<void> {
  const work = join(buildRoot(), `${build.id}-${build.version}`);
  const log = buildLog(build);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(log, `# ${build.id} ${build.version} ${new Date().toISOString()}\n`);
  const args = ['install', '--locked', '--no-track', '--root', work, `${build.crate}@${build.version}`];
  for (const bin of Object.values(build.tools)) args.push('--bin', bin);
  if (build.noDefaultFeatures) args.push('--no-default-features');
  if (build.features?.length) args.push('--features', build.features.join(','));
  // The target dir is thrown away with the work dir: a pinned build is made once per version.
  await run(cargoBinary(), args, { tool: build.id, log, cwd: work, env: { ...process.env, CARGO_TARGET_DIR: join(work, 'target') } });
  for (const [tool, bin] of Object.entries(build.tools)) {
    if (bin !== tool) throw new SetupError(`${build.id}: expected binary ${bin} to be named as its tool ${tool} in devenv/tools/versions.json`);
    installTool(build, tool, join(work, 'bin'), undefined);
  }
  rmSync(work, { recursive: true, force: true });
}
