/**
 * Where the local fleet lives on the user's machine and what it records: the config dir (the signing
 * key `up` generates, reused by every later `up`) and the state file (pids, ports, URLs) that makes a
 * second `up` reuse what runs and lets `down` and `status` find everything.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface FleetPaths {
  /** ~/.config/flotilla (or $XDG_CONFIG_HOME/flotilla): the generated signing key. */
  readonly configDir: string;
  /** ~/.local/state/flotilla (or $XDG_STATE_HOME/flotilla). */
  readonly stateDir: string;
  readonly stateFile: string;
  /** The supervisor's own output (what `up` streams while it waits). */
  readonly supervisorLog: string;
}

/** Paths from the environment (read here, at the edge). */
export function fleetPaths(env: NodeJS.ProcessEnv = process.env): FleetPaths {
  const home = env['HOME'] ?? homedir();
  const configDir = join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'flotilla');
  const stateDir = join(env['XDG_STATE_HOME'] || join(home, '.local', 'state'), 'flotilla');
  return { configDir, stateDir, stateFile: join(stateDir, 'fleet.json'), supervisorLog: join(stateDir, 'supervisor.log') };
}

/** One node runtime: a machine's member of one pool (`flotilla node --cluster`). */
export interface NodeState {
  /** The machine (node name in its Lease and in WasmFunction status.nodes). */
  readonly name: string;
  /** The WasmRuntime (pool) it runs for. */
  readonly pool: string;
  /** http://127.0.0.1:<port> of the node's HTTP trigger. */
  readonly url: string;
}

export interface ClusterState {
  readonly name: string;
  readonly server: string;
  readonly kubeconfig: string;
  readonly nodes: readonly NodeState[];
  /**
   * HTTP routes: name, namespace, the WasmFunction behind it, the Host header and path prefix it
   * matches, the pool serving it, and the nodes the operator had placed it on when `up` finished.
   */
  readonly functions: readonly { readonly name: string; readonly namespace: string; readonly function: string; readonly host: string; readonly path: string; readonly pool: string; readonly placedOn?: readonly string[] }[];
}

export interface FleetState {
  readonly phase: 'starting' | 'ready' | 'failed' | 'stopping';
  /** The supervisor process that owns every server. */
  readonly supervisorPid: number;
  /** Process groups of every server, for `down` when the supervisor is gone. */
  readonly pids: readonly number[];
  readonly workDir: string;
  readonly logDir: string;
  readonly startedAt: string;
  /** Set when phase is failed: the step's message (names the log). */
  readonly error?: string;
  readonly registry?: { readonly host: string };
  readonly git?: { readonly url: string; readonly repoDir: string };
  readonly argocd?: { readonly url: string; readonly username: string; readonly password: string; readonly namespace: string; readonly kubeconfig: string };
  readonly clusters?: readonly ClusterState[];
  /** Signing key files in the config dir. */
  readonly key?: { readonly privateKey: string; readonly publicKey: string };
  /** Step name -> milliseconds it took. */
  readonly timings?: Readonly<Record<string, number>>;
}

/** The recorded state, or undefined when none (or unreadable: a torn write is treated as none). */
export function readState(paths: FleetPaths): FleetState | undefined {
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as FleetState;
  } catch {
    return undefined;
  }
}

/** Writes the state atomically (temp file + rename), so a reader never sees half a file. */
export function writeState(paths: FleetPaths, state: FleetState): void {
  mkdirSync(paths.stateDir, { recursive: true });
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, paths.stateFile);
}

export function removeState(paths: FleetPaths): void {
  rmSync(paths.stateFile, { force: true });
}

/** True when a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
