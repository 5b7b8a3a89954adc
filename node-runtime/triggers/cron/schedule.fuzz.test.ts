/** Fuzzing cron schedules: what the API's pattern (the CRD's CEL rule) admits, the node's scheduler (croner) must run. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRON_PATTERN } from '../../../api/index.ts';
import { FUZZ_RUNS, typedOrValue } from '../../../api/testdata/fuzz.ts';
import { parseSchedule } from './schedule.ts';

const admitted = new RegExp(CRON_PATTERN);

/** One field of values in [min, max] as the API admits it: a star with or without a step, a value, a range with or without a step, lists of those. */
const field = (min: number, max: number) => {
  const v = fc.integer({ min, max });
  const step = fc.integer({ min: 1, max });
  const range = fc.tuple(v, v).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`);
  const item = fc.oneof(fc.constant('*'), step.map((n) => `*/${n}`), v.map(String), range, fc.tuple(range, step).map(([r, n]) => `${r}/${n}`));
  return fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => items.join(','));
};
const schedule = fc.tuple(field(0, 59), field(0, 23), field(1, 28), field(1, 12), field(0, 7)).map((f) => f.join(' '));

describe('cron schedules (fuzzed)', () => {
  it('every schedule the API admits parses on the node and fires again', () => {
    fc.assert(
      fc.property(schedule, (s) => {
        expect(admitted.test(s)).toBe(true);
        const parsed = typedOrValue(() => parseSchedule(s, 'UTC'));
        if (parsed instanceof Error) throw parsed;
        const now = new Date('2026-01-01T00:00:00Z');
        expect(parsed.next(now).getTime()).toBeGreaterThan(now.getTime());
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('any text either parses or throws InvalidTrigger, and the API pattern never hangs on it', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), schedule.map((s) => s.replace(/ /g, fc.sample(fc.constantFrom(' ', '  ', '\t', ''), 1)[0]!))), fc.constantFrom('UTC', 'Europe/Paris', 'Nowhere/City', ''), (s, tz) => {
        typedOrValue(() => admitted.test(s));
        const parsed = typedOrValue(() => parseSchedule(s, tz));
        if (parsed instanceof Error) expect(parsed).toMatchObject({ code: 'InvalidTrigger' });
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  // Found by the first property (seed 1962881846): the API admitted steps croner refuses, so such a trigger never ran.
  // And (seeds 1876667385, 2049811108): a step after a single value, which croner refuses too.
  it.each(['* * 1-1 1-1 */8', '* * */32 * *', '* * * */13 *', '0 0-0 1 * 0/1', '0 * 1/1,* * *'])('the API refuses %s, a step croner refuses', (s) => {
    expect(admitted.test(s)).toBe(false);
    expect(typedOrValue(() => parseSchedule(s, 'UTC'))).toBeInstanceOf(Error);
  });

  it('the API pattern answers quickly on long near-miss input (no catastrophic backtracking)', () => {
    typedOrValue(() => admitted.test(`${'1,'.repeat(5000)}x * * * *`));
    typedOrValue(() => admitted.test(`${'*/1'.repeat(3000)} * * * *`));
  });
});
