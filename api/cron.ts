/**
 * Cron syntax as one regular expression (RE2 and JS compatible), so the API server's CEL rule and the
 * runtime validator accept exactly the same schedules: five fields (minute hour day-of-month month
 * day-of-week) of `*`, values, ranges, lists and steps, or a `@hourly`-style macro.
 */

// Allowed values per field; names (JAN, MON) are not accepted, numbers only. A step may not exceed
// the field's largest value: the node's scheduler (croner) refuses `*/8` in day-of-week, so the API
// must too (found by fuzzing, node-runtime/triggers/cron/schedule.fuzz.test.ts), and the same for a
// step after a single value.
const FIELDS = {
  minute: { value: '[1-5]?[0-9]', step: '([1-9]|[1-5][0-9])' },
  hour: { value: '(1?[0-9]|2[0-3])', step: '([1-9]|1[0-9]|2[0-3])' },
  dayOfMonth: { value: '([1-9]|[12][0-9]|3[01])', step: '([1-9]|[12][0-9]|3[01])' },
  month: { value: '([1-9]|1[0-2])', step: '([1-9]|1[0-2])' },
  dayOfWeek: { value: '[0-7]', step: '[1-7]' },
} as const;

function field(f: { readonly value: string; readonly step: string }): string {
  // A step only after * or a range: croner refuses `5/10` (a value with a step).
  const item = `(\\*(/${f.step})?|${f.value}(-${f.value}(/${f.step})?)?)`;
  return `${item}(,${item})*`;
}

/** The full schedule pattern, anchored. */
export const CRON_PATTERN =
  '^(@(yearly|annually|monthly|weekly|daily|hourly)|' + Object.values(FIELDS).map(field).join(' ') + ')$';
