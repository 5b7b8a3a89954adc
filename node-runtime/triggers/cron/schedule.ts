/**
 * Cron schedules read with croner (5 fields, or @hourly...; in an IANA time zone) and the
 * missed-run rule. Pure: times in, times out.
 */
import { Cron } from 'croner';
import type { MissedRunPolicy } from '../../../api/index.ts';
import { TriggerError } from '../errors.ts';

export interface Schedule {
  /** The first tick strictly after `after`. */
  next(after: Date): Date;
  /** The last tick at or before `at`, if any. */
  previous(at: Date): Date | undefined;
}

export function parseSchedule(pattern: string, timeZone: string): Schedule {
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone: timeZone, paused: true, mode: '5-part' });
    cron.nextRun();
  } catch (err) {
    throw new TriggerError('InvalidTrigger', `expected a 5-field cron schedule in a known time zone, got ${JSON.stringify(pattern)} in ${JSON.stringify(timeZone)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return {
    next(after) {
      const n = cron.nextRun(after);
      if (!n) throw new TriggerError('InvalidTrigger', `schedule ${pattern} never fires again`);
      return n;
    },
    previous(at) {
      // previousRuns excludes `at` itself; a tick exactly at `at` counts as previous.
      const probe = new Date(at.getTime() + 1);
      return cron.previousRuns(1, probe)[0];
    },
  };
}


/**
 * The tick to fire late when a node starts, if any: with RunOnce, the most recent tick that no node
 * fired, provided the schedule has fired before (a new trigger does not fire at once) and the next
 * tick is not yet due (a catch-up never runs more than one period late, and never more than once).
 */
export function missedTick(schedule: Schedule, policy: MissedRunPolicy, lastFiredMs: number | undefined, now: Date): Date | undefined {
  if (policy === 'Skip' || lastFiredMs === undefined) return undefined;
  const prev = schedule.previous(now);
  if (!prev || prev.getTime() <= lastFiredMs) return undefined;
  return prev;
}
