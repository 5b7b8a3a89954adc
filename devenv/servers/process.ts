/**
 * The one way the harness runs a server: spawn with output to a log file, poll a readiness probe
 * (never a fixed sleep), and on failure or early exit stop it and throw with the log's tail.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type BackoffOptions } from '../../api/backoff.ts';
import { addressInUse, groupListensOn, portHolder } from './ports.ts';

/** A server failed to start or misbehaved; the message carries the log tail. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
}

export interface ServerSpec {
  /** Short name used in messages and the log file name. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Where stdout and stderr go. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Resolves true once the server serves; called repeatedly until then. */
  readonly ready: () => Promise<boolean>;
  /** How long to wait for readiness. @default 60_000 */
  readonly timeoutMs?: number;
  /**
   * The TCP port the server is told to listen on (picked free earlier, so possibly taken since).
   * When set, a passing probe counts only once the server's process group holds this port: another
   * process that took it would otherwise answer the probe for a server that failed to bind.
   * @default no check (the probe alone decides)
   */
  readonly port?: number;
}

export interface RunningServer {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Last `lines` lines of a log file (for error messages). */
export function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

/** Readiness probes: 50 ms doubling up to 500 ms; no jitter, nothing else polls this process. */
const READY_POLL: BackoffOptions = { initialMs: 50, maxMs: 500, jitter: 'none' };

// Servers run in their own process groups (so stop() reaches their children), which also means
// they would outlive a test runner that dies without running teardown. This process-wide set is
// the one place that knows them all, so an exiting runner can take them down.
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const g of liveGroups) signalGroup(g, 'SIGKILL');
  });
}

/** Starts a server and waits until its probe passes. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const fd = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
      // Its own process group, so stop() also reaches children it forks (git, helpers).
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  let exited: string | undefined;
  const pid = child.pid;
  if (pid !== undefined) trackGroup(pid);
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `code ${code}`;
      if (pid !== undefined) liveGroups.delete(pid);
      resolve();
    });
    child.on('error', (err) => {
      exited = `spawn error: ${err.message}`;
      resolve();
    });
  });
  const server: RunningServer = {
    name: spec.name,
    pid: child.pid ?? -1,
    logFile: spec.logFile,
    async stop() {
      if (exited !== undefined || child.pid === undefined) return;
      signalGroup(child.pid, 'SIGTERM');
      const killed = await Promise.race([exit.then(() => true), sleep(5000).then(() => false)]);
      if (!killed) {
        signalGroup(child.pid, 'SIGKILL');
        await exit;
      }
    },
  };

  const deadline = Date.now() + (spec.timeoutMs ?? 60_000);
  // Set when the probe passed while another process held spec.port.
  let answeredByOther = false;
  for (let polls = 1; ; polls++) {
    if (exited !== undefined) {
      // Whatever it forked goes with it: nothing of a failed start may stay behind.
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
      const inUse = addressInUse(logTail(spec.logFile, 200)) ?? (answeredByOther ? `127.0.0.1:${spec.port}` : undefined);
      const port = spec.port ?? (Number(/:(\d+)$/.exec(inUse ?? '')?.[1]) || undefined);
      throw new HarnessError(`${spec.name} exited (${exited}) before it was ready${inUse ? `: it could not listen on ${inUse}, address already in use${holderOf(port)}` : ''}; log ${spec.logFile}:\n${logTail(spec.logFile)}`);
    }
    if (await spec.ready().catch(() => false)) {
      if (spec.port === undefined || pid === undefined || groupListensOn(pid, spec.port)) return server;
      answeredByOther = true;
    }
    if (Date.now() > deadline) {
      await server.stop();
      const other = answeredByOther ? `: its probe was answered, but not by ${spec.name} (pid ${pid ?? '?'}): 127.0.0.1:${spec.port} is in use by another process${holderOf(spec.port)}` : '';
      throw new HarnessError(
        `${spec.name} was not ready after ${(spec.timeoutMs ?? 60_000) / 1000}s${other}; log ${spec.logFile}:\n${logTail(spec.logFile)}`,
      );
    }
    await sleep(backoffDelay(polls, READY_POLL));
  }
}

/** " (held by pid N: command)" for a port some process listens on, else "". */
function holderOf(port: number | undefined): string {
  const holder = port === undefined ? undefined : portHolder(port);
  return holder ? ` (held by pid ${holder.pid}: ${holder.command})` : '';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  // The kernel may hand the same ephemeral port to a later bind once the probe closes: never give
  // one out twice in this process, or two servers started side by side race for it.
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel kept returning ports this process already handed out (20 tries)');
}

const handedOut = new Set<number>();

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function tcpReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/** True when GET `url` answers `status` (plain HTTP). */
export async function httpReady(url: string, status = 200): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.status === status;
}

/** True when GET `url` over HTTPS answers 200, trusting `ca` (or any certificate when absent). */
export function httpsReady(url: string, opts: { readonly ca?: string; readonly token?: string } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsGet(
      url,
      {
        ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }),
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}
