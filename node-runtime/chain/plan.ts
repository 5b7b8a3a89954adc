/**
 * A chain as the list of functions an event runs through: the trigger's function, then `next`
 * in order, each step's output the next step's input. Checked again at runtime (synth and
 * admission check it first): bounded length, no function twice. Pure.
 */
import { TriggerError } from '../triggers/errors.ts';

/** The trigger's function plus at most 8 `next` steps (the API's maxItems). */
export const MAX_CHAIN_STEPS = 9;

export function planChain(namespace: string, functionRef: string, next: readonly { readonly functionRef: string }[]): string[] {
  const plan = [functionRef, ...next.map((n) => n.functionRef)].map((name) => `${namespace}/${name}`);
  if (plan.length > MAX_CHAIN_STEPS) {
    throw new TriggerError('ChainTooDeep', `expected a chain of at most ${MAX_CHAIN_STEPS} functions, got ${plan.length} (${plan.join(' -> ')}); shorten next`);
  }
  const seen = new Set<string>();
  for (const fn of plan) {
    if (seen.has(fn)) throw new TriggerError('ChainCycle', `expected every function at most once in a chain, got ${fn} twice in ${plan.join(' -> ')}; remove the repeat from next`);
    seen.add(fn);
  }
  return plan;
}
