import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReference } from './reference.ts';

describe('docs/api.md', () => {
  it('is what the schemas generate (run `npm run synth` to refresh it)', () => {
    expect(readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8')).toBe(renderReference());
  });

  it('lists every spec field with its description', () => {
    const doc = renderReference();
    expect(doc).toContain('| `module.ref` | string | yes |');
    expect(doc).toContain('the weights of spec.backends must sum to 100');
  });
});
