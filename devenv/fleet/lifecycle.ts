/**
 * What `up` and `down` do around the supervisor: start it detached and follow its progress, find a
 * running fleet and reuse it, and take down whatever a fleet left behind (even when its supervisor
 * died), by the pids recorded and the processes whose command line names the fleet's temp dir.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FleetError } from './errors.ts';
import type { FleetPaths, FleetState } from './state.ts';
import { alive, readState, removeState } from './state.ts';
import { pendingSteps } from './steps.ts';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

/** Pids of processes whose command line mentions `needle` (our servers all name their work dir). */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitGone(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!pids.some(alive)) return true;
    await sleep(200);
  }
  return !pids.some(alive);
}

/** Stops the fleet of `state` and removes its temp dir and state file. */
export async function takeDown(paths: FleetPaths, state: FleetState, log: (line: string) => void): Promise<void> {
  if (alive(state.supervisorPid)) {
    kill(state.supervisorPid, 'SIGTERM');
    // The supervisor stops servers in order (Argo CD, nodes, operators, apiservers, etcd): give it time.
    if (!(await waitGone([state.supervisorPid], 90_000))) {
      log(`supervisor ${state.supervisorPid} did not stop in 90 s; killing it`);
      kill(state.supervisorPid, 'SIGKILL');
    }
  }
  // Whatever is left: recorded process groups, then anything still naming the work dir.
  const leftovers = [...state.pids.filter(alive), ...processesMentioning(state.workDir)];
  for (const pid of leftovers) {
    kill(-pid, 'SIGTERM');
    kill(pid, 'SIGTERM');
  }
  if (!(await waitGone(leftovers, 10_000))) {
    for (const pid of leftovers) {
      kill(-pid, 'SIGKILL');
      kill(pid, 'SIGKILL');
    }
    // A killed process is gone only once the kernel has reaped it: down must not return before.
    if (!(await waitGone(leftovers, 10_000))) log(`processes ${leftovers.filter(alive).join(', ')} survived SIGKILL for 10 s`);
  }
  rmSync(state.workDir, { recursive: true, force: true });
  removeState(paths);
}

/** Starts the supervisor detached and follows it until the fleet is ready (or failed). */
export async function startSupervisor(paths: FleetPaths, log: (line: string) => void, timeoutMs: number): Promise<FleetState> {
  mkdirSync(paths.stateDir, { recursive: true });
  rmSync(paths.supervisorLog, { force: true });
  const fd = openSync(paths.supervisorLog, 'a');
  const child = spawn(process.execPath, [CLI, 'up', '--supervise'], { detached: true, stdio: ['ignore', fd, fd], env: process.env });
  closeSync(fd);
  child.unref();
  const pid = child.pid ?? -1;
  let offset = 0;
  const lines: string[] = [];
  const follow = (): void => {
    if (!existsSync(paths.supervisorLog)) return;
    const size = statSync(paths.supervisorLog).size;
    if (size <= offset) return;
    // Byte offsets: progress lines carry multi-byte characters (✓).
    const text = readFileSync(paths.supervisorLog).subarray(offset, size).toString('utf8');
    offset = size;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      lines.push(line);
      log(line);
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    follow();
    const state = readState(paths);
    if (state?.supervisorPid === pid && state.phase === 'ready') return state;
    if (state?.supervisorPid === pid && state.phase === 'failed') {
      await waitGone([pid], 60_000);
      follow();
      // The supervisor stopped what it tracked; this also catches anything it could not (and a supervisor stuck stopping).
      await takeDown(paths, state, log);
      throw new FleetError('FleetStartFailed', `${state.error ?? 'the fleet did not start'} (supervisor output: ${paths.supervisorLog})`);
    }
    if (!alive(pid)) {
      follow();
      if (state) await takeDown(paths, state, log);
      throw new FleetError('FleetStartFailed', `the fleet supervisor exited before the fleet was ready; see ${paths.supervisorLog}`);
    }
    if (Date.now() > deadline) {
      const pending = pendingSteps(lines);
      // Before its state is written the supervisor owns nothing yet: stopping it is all there is to do.
      if (!state) {
        kill(pid, 'SIGTERM');
        await waitGone([pid], 10_000);
      }
      const recorded = readState(paths);
      if (recorded) await takeDown(paths, recorded, log);
      const running = pending.length === 0 ? 'before any step started' : `while ${pending.map((p) => `step "${p}"`).join(', ')} ${pending.length === 1 ? 'was' : 'were'} still running`;
      throw new FleetError('FleetStartFailed', `the fleet was not ready within --timeout ${timeoutMs / 1000} s: it ran out ${running}; everything started was stopped${recorded ? ` and ${recorded.workDir} removed` : ''}; see the logs in ${join(paths.stateDir, 'logs')} and ${paths.supervisorLog}`);
    }
    await sleep(300);
  }
}
