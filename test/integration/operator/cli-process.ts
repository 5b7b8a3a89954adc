/**
 * `flotilla <command>` as a child process for the cluster-mode tests: its combined output kept (the
 * last 20 kB) to wait on and to show when something fails.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '../../harness/index.ts';

const MAIN = join(import.meta.dirname, '../../../cli/main.ts');

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  output: string;
  readonly exited: Promise<void>;
}

/** Starts `flotilla ...args` on this Node. */
export function run(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { name, child, output: '', exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  const keep = (chunk: Buffer) => {
    proc.output = (proc.output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return proc;
}

/** Waits for `pattern` in a process's output; fails with its output if it exits first. */
export async function awaitOutput(p: Proc, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  let gone = false;
  void p.exited.then(() => (gone = true));
  return waitFor(
    () => {
      if (gone) throw new Error(`${p.name} exited:\n${p.output}`);
      return Promise.resolve(pattern.exec(p.output) ?? undefined);
    },
    { what: `${p.name} to print ${pattern}`, timeoutMs, describe: () => Promise.resolve(p.output.slice(-3000)) },
  );
}
