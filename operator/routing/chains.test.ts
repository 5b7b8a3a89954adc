import { describe, expect, it } from 'vitest';
import type { LiveFunctionTrigger } from '../kinds.ts';
import { chainCycles } from './chains.ts';

const trigger = (name: string, fn: string, next: string[], namespace = 'ns'): LiveFunctionTrigger =>
  ({ metadata: { name, namespace }, spec: { functionRef: fn, type: 'nats', next: next.map((functionRef) => ({ functionRef })) } }) as unknown as LiveFunctionTrigger;

describe('chainCycles', () => {
  it.each([
    { name: 'no chains', triggers: [trigger('t1', 'a', [])], cycles: {} },
    { name: 'a straight chain', triggers: [trigger('t1', 'a', ['b']), trigger('t2', 'b', ['c'])], cycles: {} },
    { name: 'a two-step loop', triggers: [trigger('t1', 'a', ['b']), trigger('t2', 'b', ['a'])], cycles: { 'ns/t1': 'a → b → a', 'ns/t2': 'b → a → b' } },
    { name: 'a loop through three, one trigger outside it', triggers: [trigger('t1', 'a', ['b']), trigger('t2', 'b', ['c']), trigger('t3', 'c', ['a']), trigger('t4', 'x', ['a'])], cycles: { 'ns/t1': 'a → b → c → a', 'ns/t2': 'b → c → a → b', 'ns/t3': 'c → a → b → c' } },
    { name: 'same names in another namespace do not connect', triggers: [trigger('t1', 'a', ['b'], 'one'), trigger('t2', 'b', ['a'], 'two')], cycles: {} },
  ])('$name', ({ triggers, cycles }) => {
    expect(Object.fromEntries(chainCycles(triggers))).toEqual(cycles);
  });
});
