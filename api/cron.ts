/**
 * Cron syntax as one regular expression (RE2 and JS compatible), so the API server's CEL rule and the
 * runtime validator accept exactly the same schedules: five fields (minute hour day-of-month month
 * day-of-week) of `*`, values, ranges, lists and steps, or a `@hourly`-style macro.
 */

// Allowed values per field; names (JAN, MON) are not accepted, numbers only.
const FIELDS = {
  minute: '[1-5]?[0-9]',
  hour: '(1?[0-9]|2[0-3])',
  dayOfMonth: '([1-9]|[12][0-9]|3[01])',
  month: '([1-9]|1[0-2])',
  dayOfWeek: '[0-7]',
} as const;

function field(value: string): string {
  const item = `(\\*|${value}(-${value})?)(/[1-9][0-9]?)?`;
  return `${item}(,${item})*`;
}

/** The full schedule pattern, anchored. */
export const CRON_PATTERN =
  '^(@(yearly|annually|monthly|weekly|daily|hourly)|' + Object.values(FIELDS).map(field).join(' ') + ')$';
