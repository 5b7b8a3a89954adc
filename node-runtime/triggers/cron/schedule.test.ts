import { describe, expect, it } from 'vitest';
import { missedTick, parseSchedule } from './schedule.ts';

const at = (iso: string) => new Date(iso);

describe('parseSchedule', () => {
  it('reads five fields in the given time zone', () => {
    // 09:00 in Berlin is 08:00 UTC in winter.
    const s = parseSchedule('0 9 * * *', 'Europe/Berlin');
    expect(s.next(at('2026-01-10T07:00:00Z')).toISOString()).toBe('2026-01-10T08:00:00.000Z');
    expect(s.previous(at('2026-01-10T07:00:00Z'))?.toISOString()).toBe('2026-01-09T08:00:00.000Z');
  });

  it('counts a tick exactly at the reference time as previous, and the next one strictly after', () => {
    const s = parseSchedule('*/5 * * * *', 'UTC');
    expect(s.previous(at('2026-01-10T07:05:00Z'))?.toISOString()).toBe('2026-01-10T07:05:00.000Z');
    expect(s.next(at('2026-01-10T07:05:00Z')).toISOString()).toBe('2026-01-10T07:10:00.000Z');
  });

  it.each([['* * * *', 'UTC'], ['* * * * * *', 'UTC'], ['61 * * * *', 'UTC'], ['* * * * *', 'Mars/Olympus']])('refuses %s in %s', (pattern, tz) => {
    expect(() => parseSchedule(pattern, tz)).toThrow(expect.objectContaining({ code: 'InvalidTrigger' }));
  });
});

describe('missedTick', () => {
  const hourly = parseSchedule('0 * * * *', 'UTC');
  const now = at('2026-01-10T07:20:00Z');
  const t0700 = at('2026-01-10T07:00:00Z').getTime();
  const t0600 = at('2026-01-10T06:00:00Z').getTime();

  it.each<[string, 'RunOnce' | 'Skip', number | undefined, string | undefined]>([
    ['runs the last missed tick once', 'RunOnce', t0600, '2026-01-10T07:00:00.000Z'],
    ['runs it once however many were missed', 'RunOnce', t0600 - 5 * 3600_000, '2026-01-10T07:00:00.000Z'],
    ['does nothing when the last tick fired', 'RunOnce', t0700, undefined],
    ['does not fire a brand-new schedule at once', 'RunOnce', undefined, undefined],
    ['skips with Skip', 'Skip', t0600, undefined],
  ])('%s', (_name, policy, last, expected) => {
    expect(missedTick(hourly, policy, last, now)?.toISOString()).toBe(expected);
  });
});
