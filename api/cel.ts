/**
 * Evaluates the schemas' CEL rules in-process with @marcbachmann/cel-js, extended with the
 * Kubernetes CEL library functions our rules use. Integers are int64 in Kubernetes CEL, so JSON
 * integers become BigInt before evaluation (the schema says which fields are integers).
 */
import { Environment } from '@marcbachmann/cel-js';
import type { CelRule } from './rules.ts';

// Kubernetes adds `sum()` to lists (k8s.io/apiserver/pkg/cel/library/lists.go); cel-js lacks it.
const env = new Environment({ unlistedVariablesAreDyn: true })
  .registerFunction('list<int>.sum(): int', (l: bigint[]) => l.reduce((a, b) => a + b, 0n));

type Compiled = (ctx: Record<string, unknown>) => unknown;
const cache = new Map<string, Compiled>();

function compile(rule: string): Compiled {
  let fn = cache.get(rule);
  if (fn === undefined) {
    const parsed = env.parse(rule);
    fn = (ctx) => parsed(ctx);
    cache.set(rule, fn);
  }
  return fn;
}

/** Result of one rule: passed, failed, or could not be evaluated (a bug in the rule text). */
export type CelOutcome = { readonly ok: true } | { readonly ok: false; readonly error?: string };

/** Evaluates `rule` with `self` bound to an already BigInt-converted value. */
export function evaluateRule(rule: CelRule, self: unknown): CelOutcome {
  try {
    const result = compile(rule.rule)({ self });
    return result === true ? { ok: true } : { ok: false };
  } catch (err) {
    return { ok: false, error: `rule ${JSON.stringify(rule.rule)} could not be evaluated: ${(err as Error).message}` };
  }
}
