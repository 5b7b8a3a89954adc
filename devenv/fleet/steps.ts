/**
 * The step runner of `flotilla up`: each step prints what it does and how long it took; a failure
 * becomes StepFailed naming the step, the cause and the log file to read. The progress lines are
 * also how `up` knows which steps were still running when its --timeout ran out (pendingSteps).
 */
import { FleetError } from './errors.ts';

export interface StepContext {
  readonly log: (line: string) => void;
  readonly timings: Record<string, number>;
}

const STARTED = /^ {2}(\S.*) \.\.\.$/;
const FINISHED = /^✓ (.*) \(\d+(?:\.\d+)? s\)$/;

/** Runs `fn` as step `name`; `logFile` is where to look when it fails. */
export async function step<T>(ctx: StepContext, name: string, fn: () => Promise<T>, logFile?: string): Promise<T> {
  const t = performance.now();
  ctx.log(`  ${name} ...`);
  try {
    const out = await fn();
    const ms = Math.round(performance.now() - t);
    ctx.timings[name] = ms;
    ctx.log(`✓ ${name} (${(ms / 1000).toFixed(1)} s)`);
    return out;
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    const where = logFile ?? (err instanceof Error ? /log (\/\S+?):?\s/.exec(err.message)?.[1] : undefined);
    throw new FleetError('StepFailed', `step "${name}" failed after ${((performance.now() - t) / 1000).toFixed(1)} s: ${cause.replace(/\n/g, '\n    ')}${where ? `; see ${where}` : ''}`, { cause: err });
  }
}

/** Steps that the progress `lines` show started and not finished, in start order (pure). */
export function pendingSteps(lines: readonly string[]): string[] {
  const pending: string[] = [];
  for (const line of lines) {
    const started = STARTED.exec(line)?.[1];
    if (started !== undefined) pending.push(started);
    const i = pending.indexOf(FINISHED.exec(line)?.[1] ?? '');
    if (i >= 0) pending.splice(i, 1);
  }
  return pending;
}
