/**
 * `flotilla up` against bad input, each provoked for real: a missing tool, a port taken between
 * pick and bind, a --timeout that runs out, a registry and a git server that stop answering. Each
 * must stop `up` with the step, the cause and the log path, and leave nothing running, no temp dir
 * and no state a later `up` would trip on. Every run gets its own HOME dirs (the user's fleet and
 * key are untouched) and its own FLOTILLA_TOOLS_DIR when the test needs one.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { Result } from 'execa';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetState } from '../../devenv/fleet/state.ts';
import { step } from '../../devenv/fleet/steps.ts';
import { freePort, httpReady, startServer, tcpReady } from '../../devenv/servers/process.ts';
import { toolPath, toolsDir } from '../../devenv/tools/paths.ts';

const CLI = join(import.meta.dirname, '../../cli/main.ts');
const homes: string[] = [];

/**
 * Processes (other than this one) whose command line or working dir mentions `needle`: redis
 * rewrites its command line, but runs in the dir it is given.
 */
function mentioning(needle: string): string[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .flatMap((e) => {
      try {
        const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
        let cwd = '';
        try {
          cwd = readlinkSync(`/proc/${e}/cwd`);
        } catch {
          // not ours to read: the command line decides
        }
        return cmd.includes(needle) || cwd.includes(needle) ? [`${e} (in ${cwd}): ${cmd.replace(/\0/g, ' ').slice(0, 160)}`] : [];
      } catch {
        return [];
      }
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A HOME of its own: config, state and logs of the runs below go here. */
function sandbox(extraEnv: NodeJS.ProcessEnv = {}) {
  const home = mkdtempSync(join(tmpdir(), 'flotilla-bad-input-'));
  homes.push(home);
  const env = { XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), ...extraEnv };
  const stateDir = join(home, 'state', 'flotilla');
  const stateFile = join(stateDir, 'fleet.json');
  const supervisorLog = join(stateDir, 'supervisor.log');
  const readState = (): FleetState | undefined => {
    try {
      return JSON.parse(readFileSync(stateFile, 'utf8')) as FleetState;
    } catch {
      return undefined;
    }
  };
  return {
    home,
    stateDir,
    stateFile,
    flotilla: (args: string[]): Promise<Result> => execa('node', [CLI, ...args], { env, reject: false, timeout: 300_000 }),
    /**
     * Runs `up` while recording every state it writes (the file is gone once it fails); `during` runs
     * alongside and may act on the fleet as it starts.
     */
    readState,
    async upWatched(args: string[], during?: () => Promise<void>): Promise<{ result: Result; seen: FleetState | undefined; ms: number }> {
      let seen: FleetState | undefined;
      let running = true;
      const t = performance.now();
      const up = this.flotilla(['up', ...args]).finally(() => (running = false));
      const watch = (async () => {
        while (running) {
          const s = readState();
          // Keep the fullest picture: pids only grow while it starts.
          if (s && s.pids.length >= (seen?.pids.length ?? 0)) seen = s;
          await sleep(25);
        }
      })();
      // Settled here, thrown once up has ended: a failed action must not leave up running unwatched.
      const acting = during?.().then(
        () => undefined,
        (err: unknown) => err,
      );
      const result = await up;
      await watch;
      const failed = await acting;
      if (failed !== undefined) throw new Error(`acting on the starting fleet failed (up exited ${result.exitCode}):\n${String(result.stderr).slice(-3000)}`, { cause: failed });
      return { result, seen, ms: performance.now() - t };
    },
    /** Resolves once the supervisor's progress has a line matching `pattern`. */
    async waitForLine(pattern: RegExp, timeoutMs = 180_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (existsSync(supervisorLog) && pattern.test(readFileSync(supervisorLog, 'utf8'))) return;
        await sleep(20);
      }
      throw new Error(`no line matching ${pattern} in ${supervisorLog} after ${timeoutMs / 1000} s`);
    },
  };
}

/** Nothing of the fleet `seen` runs or stays on disk, and no state is left for the next `up`. */
function expectNothingLeft(seen: FleetState, stateFile: string): void {
  expect(existsSync(stateFile), 'state file').toBe(false);
  expect(existsSync(seen.workDir), seen.workDir).toBe(false);
  expect(mentioning(seen.workDir)).toEqual([]);
  expect([seen.supervisorPid, ...seen.pids].filter(alive)).toEqual([]);
}

/** The pid (among the fleet's recorded ones) whose command line contains every part. */
async function recordedPid(state: () => FleetState | undefined, parts: readonly string[]): Promise<number> {
  // The state is written just before the step's line, by a rename: read it again until it names the process.
  const deadline = Date.now() + 5000;
  for (;;) {
    const pids = state()?.pids ?? [];
    for (const pid of pids) {
      try {
        if (parts.every((p) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(p))) return pid;
      } catch {
        // gone
      }
    }
    if (Date.now() > deadline) throw new Error(`no recorded fleet process runs ${parts.join(' ')}: ${JSON.stringify(pids)}`);
    await sleep(20);
  }
}

afterAll(async () => {
  // Belt and braces: a failed assertion above must not leave a fleet running.
  for (const home of homes) {
    if (existsSync(join(home, 'state', 'flotilla', 'fleet.json'))) await execa('node', [CLI, 'down'], { env: { XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state') }, reject: false });
    rmSync(home, { recursive: true, force: true });
  }
});

describe('flotilla up with bad input', () => {
  it('a missing tool fails the first step at once, naming the tool, the path looked at and the fix; nothing starts', async () => {
    // Every real tool but etcd, through the same override CI uses for its tool cache.
    const tools = mkdtempSync(join(tmpdir(), 'flotilla-tools-'));
    homes.push(tools);
    const real = toolsDir();
    const etcd = readdirSync(real).find((d) => d.startsWith('etcd-'));
    expect(etcd, `an etcd build in ${real}`).toBeDefined();
    for (const d of readdirSync(real)) if (d !== etcd) symlinkSync(join(real, d), join(tools, d));
    const box = sandbox({ FLOTILLA_TOOLS_DIR: tools });

    const t = performance.now();
    const up = await box.flotilla(['up']);
    const ms = performance.now() - t;
    const stderr = String(up.stderr);
    expect(up.exitCode, stderr).toBe(82);
    expect(stderr).toContain('step "tools" failed');
    expect(stderr).toContain(`etcd: expected an executable at ${join(tools, etcd ?? '', 'etcd')}, found nothing there`);
    expect(stderr).toContain('npm run setup');
    // Before anything: no supervisor, no state, no server's progress line.
    expect(existsSync(box.stateDir)).toBe(false);
    expect(stderr).not.toMatch(/registry \.\.\.|control plane/);
    expect(mentioning(box.home)).toEqual([]);
    process.stderr.write(`missing tool: up failed in ${(ms / 1000).toFixed(1)} s\n`);
    expect(ms).toBeLessThan(15_000);
  });

  it('a server whose port was taken between pick and bind fails its step with the address, the holder and the log; nothing stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-port-taken-'));
    homes.push(dir);
    // The taker answers every request with 200, so a probe alone would take it for the server.
    const taker = createServer((_req, res) => res.end('not the registry')).listen(await freePort(), '127.0.0.1');
    await once(taker, 'listening');
    const port = (taker.address() as { port: number }).port;
    try {
      const registryConfig = join(dir, 'registry.yml');
      writeFileSync(registryConfig, stringify({ version: 0.1, storage: { filesystem: { rootdirectory: join(dir, 'data') } }, http: { addr: `127.0.0.1:${port}` } }));
      mkdirSync(join(dir, 'git'));
      const servers = [
        { name: 'registry', command: toolPath('registry'), args: ['serve', registryConfig], ready: () => httpReady(`http://127.0.0.1:${port}/v2/`) },
        { name: 'git-daemon', command: toolPath('git'), args: ['daemon', '--reuseaddr', '--export-all', `--base-path=${join(dir, 'git')}`, '--listen=127.0.0.1', `--port=${port}`, join(dir, 'git')], ready: () => tcpReady(port) },
      ];
      for (const s of servers) {
        const logFile = join(dir, `${s.name}.log`);
        const ctx = { log: () => undefined, timings: {} };
        const run = step(ctx, s.name, () => startServer({ ...s, logFile, port, timeoutMs: 20_000 }), logFile);
        const err = await run.then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(err?.message, s.name).toMatch(new RegExp(`^step "${s.name}" failed after [\\d.]+ s: ${s.name} exited \\(code \\d+\\) before it was ready: it could not listen on 127\\.0\\.0\\.1:${port}, address already in use \\(held by pid ${process.pid}: `));
        expect(err?.message).toContain(`; see ${logFile}`);
        expect(mentioning(dir), s.name).toEqual([]);
        expect(await httpReady(`http://127.0.0.1:${port}/`)).toBe(true);
      }
    } finally {
      taker.close();
    }
    // The same check passes a server that does hold its port, even in a child (git daemon's wrapper).
    const free = await freePort();
    const git = await startServer({ name: 'git-daemon', command: toolPath('git'), args: ['daemon', '--reuseaddr', `--base-path=${join(dir, 'git')}`, '--listen=127.0.0.1', `--port=${free}`, join(dir, 'git')], logFile: join(dir, 'git-ok.log'), ready: () => tcpReady(free), port: free });
    await git.stop();
    expect(mentioning(dir)).toEqual([]);
  });

  it('--timeout stops up naming the timeout, the steps still running and the logs; nothing stays', async () => {
    const box = sandbox();
    const { result, seen, ms } = await box.upWatched(['--timeout', '6']);
    const stderr = String(result.stderr);
    process.stderr.write(`${stderr.slice(stderr.lastIndexOf('flotilla: '))}\n`);
    expect(result.exitCode, stderr).toBe(84);
    expect(stderr).toMatch(/the fleet was not ready within --timeout 6 s: it ran out while step "[^"]+"(, step "[^"]+")* (was|were) still running/);
    expect(stderr).toContain(`see the logs in ${join(box.stateDir, 'logs')}`);
    if (!seen) throw new Error('expected up to record a state before its timeout');
    expect(stderr).toContain(`${seen.workDir} removed`);
    expectNothingLeft(seen, box.stateFile);
    expect(mentioning(box.home)).toEqual([]);
    // The logs stay to be read.
    expect(readdirSync(join(box.stateDir, 'logs')).length).toBeGreaterThan(0);
    process.stderr.write(`--timeout 6: up gave up and cleaned up in ${(ms / 1000).toFixed(1)} s\n`);
    const down = await box.flotilla(['down']);
    expect(down.exitCode).toBe(0);
    expect(String(down.stderr)).toContain('no local fleet is up');
  });

  it('a registry that stops answering fails the push step naming it, the cause and the registry log; nothing stays', async () => {
    const box = sandbox();
    const { result, seen } = await box.upWatched([], async () => {
      // Up as soon as it is ready, gone well before the push: the control planes take seconds more.
      await box.waitForLine(/^✓ registry /m);
      process.kill(-(await recordedPid(box.readState, [toolPath('registry'), 'serve'])), 'SIGKILL');
    });
    const stderr = String(result.stderr);
    process.stderr.write(`${stderr.slice(stderr.lastIndexOf('flotilla: '))}\n`);
    expect(result.exitCode, stderr).toBe(84);
    if (!seen?.registry) throw new Error(`expected the registry in the recorded state:\n${stderr}`);
    expect(stderr).toContain('step "build, push and sign the example functions" failed');
    expect(stderr).toMatch(/ECONNREFUSED|connection refused/i);
    expect(stderr).toContain(seen.registry.host);
    expect(stderr).toContain(`see ${join(box.stateDir, 'logs', 'registry.log')}`);
    expectNothingLeft(seen, box.stateFile);
    const down = await box.flotilla(['down']);
    expect(down.exitCode).toBe(0);
    expect(String(down.stderr)).toContain('no local fleet is up');
  });

  it('a git server that stops answering fails the step where Argo CD reads the repo within the grace period; nothing stays', async () => {
    const box = sandbox();
    let registeredAt = 0;
    const { result, seen } = await box.upWatched([], async () => {
      await box.waitForLine(/^✓ git server /m);
      // The whole process group: the server's git http-backend children go with it.
      process.kill(-(await recordedPid(box.readState, ['git-http/main.ts', '--root'])), 'SIGKILL');
      await box.waitForLine(/^✓ register both clusters/m, 240_000);
      registeredAt = performance.now();
    });
    const failedAfterMs = performance.now() - registeredAt;
    const stderr = String(result.stderr);
    process.stderr.write(`${stderr.slice(stderr.lastIndexOf('flotilla: '))}\n`);
    expect(result.exitCode, stderr).toBe(84);
    if (!seen?.git) throw new Error(`expected the git server in the recorded state:\n${stderr}`);
    expect(stderr).toContain('step "Argo CD reads the GitOps repo" failed');
    expect(stderr).toMatch(/has reported an error for \d+ s without a break/);
    expect(stderr).toMatch(/connection refused/i);
    expect(stderr).toContain(new URL(seen.git.url).host);
    expect(stderr).toContain(`see ${join(box.stateDir, 'logs', 'argocd', 'logs', 'argocd-repo-server.log')}`);
    process.stderr.write(`git server refusing: up failed ${(failedAfterMs / 1000).toFixed(1)} s after the ApplicationSet was registered\n`);
    // The grace period (20 s) plus a few polls and the stop, far below the 150 s sync timeout.
    expect(failedAfterMs).toBeLessThan(60_000);
    expectNothingLeft(seen, box.stateFile);
    const down = await box.flotilla(['down']);
    expect(down.exitCode).toBe(0);
  });

  it('status without a fleet says so plainly and exits 83, also when the recorded one died', async () => {
    const box = sandbox();
    const none = await box.flotilla(['status']);
    expect(none.exitCode).toBe(83);
    expect(String(none.stderr).trim()).toBe('flotilla: FleetNotUp: no local fleet is up; start one with `flotilla up`, or name a cluster with --kubeconfig/--context');
    expect(String(none.stdout)).toBe('');

    // A fleet whose supervisor is gone (killed, machine rebooted): recorded, but not up.
    const gone = spawn('true');
    await once(gone, 'exit');
    const workDir = mkdtempSync(join(tmpdir(), 'flotilla-fleet-'));
    mkdirSync(box.stateDir, { recursive: true });
    const dead: FleetState = { phase: 'ready', supervisorPid: gone.pid ?? 0, pids: [], workDir, logDir: join(box.stateDir, 'logs'), startedAt: new Date().toISOString() };
    writeFileSync(box.stateFile, JSON.stringify(dead));
    const stale = await box.flotilla(['status', '-o', 'json']);
    expect(stale.exitCode).toBe(83);
    expect(String(stale.stderr)).toContain(`no local fleet is up: the one recorded in ${box.stateFile} stopped`);
    expect(String(stale.stderr)).toContain('`flotilla down` clears what it left');
    expect(String(stale.stdout)).toBe('');
    const down = await box.flotilla(['down']);
    expect(down.exitCode).toBe(0);
    expect(existsSync(box.stateFile)).toBe(false);
    expect(existsSync(workDir)).toBe(false);
  });
});
