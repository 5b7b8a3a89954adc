/**
 * What every fuzz test of a parser shares (fast-check): a bounded number of runs, so `npm test`
 * spends a few seconds per parser, and the property "returns, or throws one of our typed errors,
 * quickly" (a hang of a regular expression shows as a run over the budget). Seeds that once failed
 * are kept as explicit examples next to each property.
 */
import { FlotillaError } from '../errors.ts';

/** Runs per property; FLOTILLA_FUZZ_RUNS raises it for a longer session. */
export const FUZZ_RUNS = Number(process.env['FLOTILLA_FUZZ_RUNS'] ?? 300);

/** Longest one parse may take: far above any real input, far below a catastrophic backtrack on the sizes generated, and loose enough for a loaded machine (load 14 on 2 cores seen). */
export const PARSE_BUDGET_MS = 1000;

/** Calls `parse`; a throw must be a FlotillaError (else rethrown), and the call must return within the budget. Returns what it returned, or the error. */
export function typedOrValue<T>(parse: () => T): T | FlotillaError {
  const started = performance.now();
  let out: T | FlotillaError;
  try {
    out = parse();
  } catch (err) {
    if (!(err instanceof FlotillaError)) throw new Error(`expected a FlotillaError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
    out = err;
  }
  const took = performance.now() - started;
  if (took > PARSE_BUDGET_MS) throw new Error(`expected a parse within ${PARSE_BUDGET_MS} ms, took ${Math.round(took)} ms`);
  return out;
}
