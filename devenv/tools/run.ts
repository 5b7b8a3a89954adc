/** Runs a setup command with its output appended to a log file, failing with the tool, command and log named. */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export class SetupError extends Error {
  override readonly name = 'SetupError';
}

export interface RunOptions {
  readonly tool: string;
  readonly log: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `cmd args` to completion, stdout+stderr into `log`; returns stdout. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<string> {
  const fd = openSync(opts.log, 'a');
  writeSync(fd, `\n$ ${[cmd, ...args].join(' ')}\n`);
  let stdout = '';
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        writeSync(fd, d);
      });
      child.stderr.on('data', (d: Buffer) => writeSync(fd, d));
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) {
      throw new SetupError(
        `${opts.tool}: '${[cmd, ...args].join(' ')}' exited with ${code}${opts.cwd ? ` in ${opts.cwd}` : ''}; ` +
          `see ${opts.log}. Last lines:\n${tail(opts.log, 25)}`,
      );
    }
    return stdout;
  } catch (err) {
    if (err instanceof SetupError) throw err;
    throw new SetupError(`${opts.tool}: could not run '${cmd}' (${(err as Error).message}); see ${opts.log}`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

/** Last `n` lines of a text file. */
export function tail(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}
