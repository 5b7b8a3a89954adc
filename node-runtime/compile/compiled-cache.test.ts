import { describe, expect, it } from 'vitest';
import { compileModule } from './compile.ts';
import { CompiledCache } from './compiled-cache.ts';
import { wagiHello } from '../testing/assemble.ts';

describe('CompiledCache', () => {
  it('keeps compiled modules up to its bytes, least recently used out first', async () => {
    const compiled = await compileModule(wagiHello(), 16, 'test');
    const cache = new CompiledCache(300);
    cache.set('a', compiled, 100);
    cache.set('b', compiled, 100);
    cache.set('c', compiled, 100);
    expect(cache.fits(1)).toBe(false);
    expect(cache.get('a')).toBe(compiled); // a is now the most recently used
    cache.set('d', compiled, 100);
    expect(['a', 'b', 'c', 'd'].map((k) => cache.get(k) !== undefined)).toEqual([true, false, true, true]);
    cache.set('huge', compiled, 301);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.bytes).toBe(300);
    cache.retain(new Set(['d']));
    expect([cache.get('a'), cache.bytes]).toEqual([undefined, 100]);
  });
});
