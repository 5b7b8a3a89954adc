import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../api/errors.ts';
import { MAX_CHAIN_STEPS, planChain } from './plan.ts';

const refs = (...names: string[]) => names.map((functionRef) => ({ functionRef }));

describe('planChain', () => {
  it('lists the trigger function then next, namespaced', () => {
    expect(planChain('etl', 'extract', refs('transform', 'load'))).toEqual(['etl/extract', 'etl/transform', 'etl/load']);
  });

  it.each([
    ['the trigger function again', refs('transform', 'extract')],
    ['a next step twice', refs('transform', 'transform')],
  ])('refuses %s as a cycle', (_name, next) => {
    expect(() => planChain('etl', 'extract', next)).toThrow(expect.objectContaining({ code: 'ChainCycle' }));
  });

  it('refuses a chain longer than the bound', () => {
    const next = refs(...Array.from({ length: MAX_CHAIN_STEPS }, (_, i) => `f${i}`));
    let err: unknown;
    try {
      planChain('etl', 'extract', next);
    } catch (e) {
      err = e;
    }
    expect(isFlotillaError(err, 'ChainTooDeep')).toBe(true);
  });
});
