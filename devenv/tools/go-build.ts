/**
 * Builds one pinned Go module into the tool cache. Each tool lands in `<toolsDir>/<name>-<version>/`
 * through a temp dir + rename, with a stamp of the recipe written last, so an interrupted build is
 * never mistaken for a finished one and a rerun with the same recipe is instant.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGoMod, resolveReplaces, wrapperGoMod } from './gomod.ts';
import type { GoBuild, PinnedBuild } from './paths.ts';
import { toolsDir } from './paths.ts';
import { run, SetupError } from './run.ts';

const STAMP = '.flotilla-stamp.json';

/**
 * The Go command: on PATH, else the official tarball's /usr/local/go (a non-login shell, as CI's
 * can be, may lack it on PATH). Go ≥ 1.21 is needed so GOTOOLCHAIN can fetch newer toolchains.
 */
export function goBinary(env: NodeJS.ProcessEnv = process.env): string {
  for (const dir of [...(env['PATH'] ?? '').split(':'), '/usr/local/go/bin']) {
    if (dir && existsSync(join(dir, 'go'))) return join(dir, 'go');
  }
  throw new SetupError(
    "Go tools: expected a 'go' command (Go >= 1.21) on PATH or in /usr/local/go/bin, got none; install Go from its official tarball (Debian 12's golang-go 1.19 is too old)",
  );
}

/** Throwaway Go modules and build logs live here, outside the checkout. */
export function buildRoot(): string {
  return process.env['FLOTILLA_BUILD_DIR'] || join(homedir(), '.cache', 'flotilla', 'build');
}

export function buildLog(build: PinnedBuild): string {
  return join(buildRoot(), `${build.id}-${build.version}.log`);
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceDir(build: GoBuild): string {
  if (!build.source) throw new SetupError(`${build.id}: method 'source' needs a 'source' dir in devenv/tools/versions.json`);
  return join(REPO_ROOT, build.source);
}

// A source build is rebuilt when our own Go files change, not only when the pin does.
function sourceHash(build: PinnedBuild): string | undefined {
  if (!('method' in build) || build.method !== 'source') return undefined;
  const dir = sourceDir(build);
  const hash = createHash('sha256');
  for (const f of readdirSync(dir).sort()) hash.update(f).update(readFileSync(join(dir, f)));
  return hash.digest('hex');
}

function stampFor(build: PinnedBuild, tool: string): string {
  return JSON.stringify({ tool, build, source: sourceHash(build) }, null, 2) + '\n';
}

// What decides whether a cached binary is current: the recipe without its display-only fields, so
// correcting a `coldBuild` estimate in versions.json does not cost a rebuild.
function recipeOf(stamp: string): string {
  const parsed = JSON.parse(stamp) as { build: Partial<PinnedBuild> };
  const { coldBuild: _display, ...recipe } = parsed.build;
  return JSON.stringify({ ...parsed, build: recipe });
}

/** True when every tool of `build` is in the cache with a stamp of this exact recipe. */
export function isBuilt(build: PinnedBuild): boolean {
  return Object.keys(build.tools).every((tool) => {
    try {
      return recipeOf(readFileSync(join(toolsDir(), `${tool}-${build.version}`, STAMP), 'utf8')) === recipeOf(stampFor(build, tool));
    } catch {
      return false;
    }
  });
}

interface Downloaded {
  readonly GoMod: string;
  readonly Dir: string;
  readonly Error?: string;
}

/** Builds every tool of `build` and installs it into the cache. */
export async function goBuild(build: GoBuild): Promise<void> {
  const work = join(buildRoot(), `${build.id}-${build.version}`);
  const log = buildLog(build);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(log, `# ${build.id} ${build.version} ${new Date().toISOString()}\n`);
  const outDir = join(work, 'bin');
  mkdirSync(outDir);
  // GOTOOLCHAIN=auto lets an older local Go fetch the toolchain a module asks for.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOTOOLCHAIN: build.goToolchain ?? 'auto',
    GOFLAGS: '-buildvcs=false',
    CGO_ENABLED: '0',
    GOBIN: outDir,
  };
  const goBin = goBinary();
  const go = (args: string[], cwd = work): Promise<string> => run(goBin, args, { tool: build.id, log, cwd, env });
  const ldflags = ['-s', '-w', ...(build.ldflags ?? [])].join(' ');
  // Build tags drop what a test node never uses (btrfs, zfs, devmapper snapshotters), the same for every method.
  const flags = ['-trimpath', `-ldflags=${ldflags}`, ...(build.tags?.length ? [`-tags=${build.tags.join(',')}`] : [])];

  // The module source is needed for its go.mod (wrapper builds) and for companion files.
  let source: Downloaded | undefined;
  if (build.method === 'wrapper' || build.files) {
    source = JSON.parse(await go(['mod', 'download', '-json', `${build.module}@${build.version}`])) as Downloaded;
    if (source.Error) throw new SetupError(`${build.id}: go mod download ${build.module}@${build.version} failed: ${source.Error}; see ${log}`);
  }

  if (build.method === 'install') {
    // Binaries land in GOBIN (outDir), named after the package's last path element.
    for (const pkg of Object.values(build.tools)) await go(['install', ...flags, `${pkg}@${build.version}`]);
  } else if (build.method === 'source') {
    const src = join(work, 'src');
    cpSync(sourceDir(build), src, { recursive: true });
    for (const [tool, pkg] of Object.entries(build.tools)) {
      await go(['build', '-mod=mod', ...flags, '-o', join(outDir, tool), pkg], src);
    }
  } else {
    if (!source) throw new SetupError(`${build.id}: module source was not downloaded`);
    const mod = parseGoMod(readFileSync(source.GoMod, 'utf8'));
    writeFileSync(
      join(work, 'go.mod'),
      wrapperGoMod({
        module: build.module,
        version: build.version,
        goVersion: mod.goVersion,
        replaces: resolveReplaces(mod.replaces, build.localReplaces ?? {}),
      }),
    );
    writeFileSync(join(work, 'go.sum'), '');
    const tools = Object.entries(build.tools);
    const only = tools.length === 1 ? tools[0] : undefined;
    if (only) {
      await go(['build', '-mod=mod', ...flags, '-o', join(outDir, only[0]), only[1]]);
    } else {
      // One invocation for all mains: they share most packages and link in parallel.
      await go(['build', '-mod=mod', ...flags, '-o', `${outDir}/`, ...tools.map(([, pkg]) => pkg)]);
      for (const [tool, pkg] of tools) {
        const produced = join(outDir, pkg.replace(/\/v\d+$/, '').split('/').pop() ?? tool);
        if (produced !== join(outDir, tool)) renameSync(produced, join(outDir, tool));
      }
    }
  }

  for (const tool of Object.keys(build.tools)) installTool(build, tool, outDir, source?.Dir);
  rmSync(work, { recursive: true, force: true });
}

/** Moves a built binary (and its links and companion files) into the cache atomically, stamp last. */
export function installTool(build: PinnedBuild, tool: string, outDir: string, sourceDir: string | undefined): void {
  const final = join(toolsDir(), `${tool}-${build.version}`);
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const binary = existsSync(join(outDir, tool)) ? join(outDir, tool) : undefined;
  if (!binary) throw new SetupError(`${build.id}: expected the build to produce ${join(outDir, tool)}, got nothing`);
  renameSync(binary, join(tmp, tool));
  for (const link of build.links ?? []) symlinkSync(tool, join(tmp, link));
  for (const [dest, src] of Object.entries(build.files ?? {})) {
    if (!sourceDir) throw new SetupError(`${build.id}: module source was not downloaded`);
    const from = join(sourceDir, src);
    cpSync(from, join(tmp, dest), { recursive: true });
    makeWritable(join(tmp, dest));
  }
  writeFileSync(join(tmp, STAMP), stampFor(build, tool));
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
}

// Module cache files are read-only and lose their exec bit; scripts copied out must run and be removable.
function makeWritable(path: string): void {
  try {
    const entries = readdirSync(path);
    chmodSync(path, 0o755);
    for (const e of entries) makeWritable(join(path, e));
  } catch {
    chmodSync(path, path.endsWith('.sh') ? 0o755 : 0o644);
  }
}
