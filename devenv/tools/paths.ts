/**
 * Where the pinned external tools live. Reads devenv/tools/versions.json (the one source of truth for
 * versions) so the harness, the tests and the CLI's local fleet resolve the same binaries.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Every tool a Flotilla test or command may ask for. */
export type ToolName =
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'etcd'
  | 'kubectl'
  | 'kubelet'
  | 'kube-scheduler'
  | 'containerd'
  | 'containerd-shim-runc-v2'
  | 'bridge'
  | 'host-local'
  | 'loopback'
  | 'portmap'
  | 'iptables'
  | 'cosign'
  | 'oras'
  | 'zot'
  | 'referrers-registry'
  | 'registry'
  | 'argocd'
  | 'helm'
  | 'nats-server'
  | 'mosquitto'
  | 'redis-server'
  | 'runc'
  | 'clang'
  | 'lua5.1'
  | 'chromium'
  | 'wrk'
  | 'git'
  | 'openssl'
  | 'wasmtime';

/** One Go build: a module at a version yielding one or more tools (see versions.json). */
export interface GoBuild {
  readonly id: string;
  /**
   * `install`: plain `go install pkg@version`; `wrapper`: a throwaway module requiring `module`;
   * `source`: our own main in `source` (a dir of this repo) built against `module` at `version`.
   */
  readonly method: 'install' | 'wrapper' | 'source';
  readonly module: string;
  readonly version: string;
  /** Toolchain to build with when the module needs a newer Go than the machine's. */
  readonly goToolchain?: string;
  /** Module path prefix -> published version, for the module's replace lines that point at local dirs. */
  readonly localReplaces?: Readonly<Record<string, string>>;
  readonly ldflags?: readonly string[];
  /** Go build tags (`-tags`), e.g. containerd's `no_btrfs` to leave out what a test node never uses. */
  readonly tags?: readonly string[];
  /** For `source` builds: the repo dir holding the main package and its go.mod. */
  readonly source?: string;
  readonly coldBuild: string;
  /** Tool name -> Go package that is its main. */
  readonly tools: Readonly<Record<string, string>>;
  /** Extra names symlinked to the (first) tool binary: Argo CD dispatches on argv[0]. */
  readonly links?: readonly string[];
  /** Files copied from the module source into the tool dir: destination name -> source path. */
  readonly files?: Readonly<Record<string, string>>;
}

/** One Cargo build: a crate from the Rust crate registry at a version, `cargo install --locked`. */
export interface CargoBuild {
  readonly id: string;
  readonly crate: string;
  readonly version: string;
  /** Crate features to enable on top of (or, with noDefaultFeatures, instead of) the defaults. */
  readonly features?: readonly string[];
  readonly noDefaultFeatures?: boolean;
  readonly coldBuild: string;
  /** Tool name -> the crate's binary target that is it (only these are built). */
  readonly tools: Readonly<Record<string, string>>;
  readonly links?: undefined;
  readonly files?: undefined;
}

/** Either kind of build into the tool cache. */
export type PinnedBuild = GoBuild | CargoBuild;

export interface Versions {
  readonly debian: { readonly packages: readonly string[]; readonly binaries: Readonly<Record<string, string>> };
  readonly go: { readonly builds: readonly GoBuild[] };
  readonly cargo: { readonly builds: readonly CargoBuild[] };
  /** Tools that cannot be had on this kind of machine, with the reason. */
  readonly unavailable: Readonly<Record<string, string>>;
}

const VERSIONS_FILE = new URL('./versions.json', import.meta.url);

/** The parsed pin file. */
export function versions(): Versions {
  return JSON.parse(readFileSync(VERSIONS_FILE, 'utf8')) as Versions;
}

/** Root of the tool cache: FLOTILLA_TOOLS_DIR, else ~/.cache/flotilla/tools. */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['FLOTILLA_TOOLS_DIR'] || join(homedir(), '.cache', 'flotilla', 'tools');
}

/** The Go build that yields `name`, or undefined for a Debian tool. */
export function goBuildOf(name: string, v: Versions = versions()): GoBuild | undefined {
  return v.go.builds.find((b) => Object.hasOwn(b.tools, name));
}

/** The Cargo build that yields `name`, or undefined. */
export function cargoBuildOf(name: string, v: Versions = versions()): CargoBuild | undefined {
  return v.cargo.builds.find((b) => Object.hasOwn(b.tools, name));
}

/** The Go or Cargo build that yields `name`, or undefined for a Debian tool. */
export function pinnedBuildOf(name: string, v: Versions = versions()): PinnedBuild | undefined {
  return goBuildOf(name, v) ?? cargoBuildOf(name, v);
}

/** Directory holding a built tool and its companion files: `<toolsDir>/<name>-<version>`. */
export function toolDir(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const build = pinnedBuildOf(name);
  if (!build) throw new Error(`toolDir: expected a Go- or Cargo-built tool (see devenv/tools/versions.json), got '${name}'`);
  return join(toolsDir(env), `${name}-${build.version}`);
}

/** Absolute path of a tool binary: the cached Go build, or the Debian binary found on PATH. */
export function toolPath(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const v = versions();
  const reason = v.unavailable[name];
  if (reason) throw new Error(`${name} is not available: ${reason}`);
  if (pinnedBuildOf(name, v)) return join(toolDir(name, env), name);
  const bin = v.debian.binaries[name];
  if (!bin) throw new Error(`toolPath: '${name}' is in none of go.builds, cargo.builds and debian.binaries of devenv/tools/versions.json`);
  const found = findOnPath(bin, env);
  if (!found) throw new Error(`${name}: expected '${bin}' on PATH (Debian package); run 'npm run setup' to install it`);
  return found;
}

/** True when the tool can be resolved and is executable (used for optional tools such as zot). */
export function hasTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    accessSync(toolPath(name, env), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// sbin dirs are searched too: nats-server, mosquitto and runc install there and a non-login PATH may lack them.
function findOnPath(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env['PATH'] ?? '').split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, bin);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this dir
    }
  }
  return undefined;
}
