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

/** Kubernetes CEL integers are int64; cel-js models them as BigInt (our schemas have no floats). */
export function toCel(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/** Evaluates a CEL expression over already converted variables (e.g. an admission policy's `object`, `params`). Throws what cel-js throws. */
export function evaluateCel(expression: string, vars: Record<string, unknown>): unknown {
  return compile(expression)(vars);
}

/** Result of one rule: passed, or failed with the message to show. */
export type CelOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Evaluates `rule` with `self` bound to an already BigInt-converted value. */
export function evaluateRule(rule: CelRule, self: unknown): CelOutcome {
  let result: unknown;
  try {
    result = compile(rule.rule)({ self });
  } catch (err) {
    return { ok: false, message: `rule ${JSON.stringify(rule.rule)} could not be evaluated: ${(err as Error).message}` };
  }
  if (result === true) return { ok: true };
  return { ok: false, message: failureMessage(rule, self) };
}

// As the API server does: the messageExpression when it yields a string, else the static message.
function failureMessage(rule: CelRule, self: unknown): string {
  if (rule.messageExpression === undefined) return rule.message;
  try {
    const m = compile(rule.messageExpression)({ self });
    return typeof m === 'string' && m !== '' ? m : rule.message;
  } catch {
    return rule.message;
  }
}
