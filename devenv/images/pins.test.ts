import { describe, expect, it } from 'vitest';
import { IMAGES_COMMENT, imagesFileText, pinnedImages, staleEntries } from './pins.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const committed = {
  '//': 'old comment',
  operator: `reg.example:5000/flotilla/operator@${A}`,
  nats: `reg.example:5000/flotilla/nats@${A}`,
  'node-runtime@0.1.0': `reg.example:5000/flotilla/node-runtime@${A}`,
};
const built = [{ spec: { name: 'operator' as const }, digest: B }, { spec: { name: 'node-runtime' as const }, digest: B }, { spec: { name: 'nats' as const }, digest: B }];

describe('pinnedImages', () => {
  it('keeps each committed repository and puts in the built digest', () => {
    expect(pinnedImages(committed, built, '0.1.0')).toEqual({ operator: `reg.example:5000/flotilla/operator@${B}`, 'node-runtime@0.1.0': `reg.example:5000/flotilla/node-runtime@${B}`, nats: `reg.example:5000/flotilla/nats@${B}` });
  });

  it('pins nats once, not per version', () => {
    expect(pinnedImages(committed, built, '0.2.0')).toMatchObject({ nats: `reg.example:5000/flotilla/nats@${B}` });
    expect(Object.keys(pinnedImages(committed, built, '0.2.0'))).not.toContain('nats@0.2.0');
  });

  it('pins a new version at the repository of the other node runtime entries', () => {
    expect(pinnedImages(committed, built, '0.2.0')['node-runtime@0.2.0']).toBe(`reg.example:5000/flotilla/node-runtime@${B}`);
  });

  it('refuses a file with no entry to take the repository from', () => {
    expect(() => pinnedImages({}, built, '0.1.0')).toThrow(/expected an entry "operator" naming the repository/);
  });
});

describe('staleEntries', () => {
  it('names each entry whose committed digest differs from the built one', () => {
    const wanted = pinnedImages(committed, built, '0.1.0');
    expect(staleEntries(committed, wanted)).toEqual([
      `operator: committed reg.example:5000/flotilla/operator@${A}, built reg.example:5000/flotilla/operator@${B}`,
      `node-runtime@0.1.0: committed reg.example:5000/flotilla/node-runtime@${A}, built reg.example:5000/flotilla/node-runtime@${B}`,
      `nats: committed reg.example:5000/flotilla/nats@${A}, built reg.example:5000/flotilla/nats@${B}`,
    ]);
    expect(staleEntries(wanted, wanted)).toEqual([]);
  });
});

describe('imagesFileText', () => {
  it('writes the comment, the operator, then every node runtime version (old ones kept)', () => {
    const text = imagesFileText(committed, pinnedImages(committed, built, '0.2.0'));
    expect(JSON.parse(text)).toEqual({ '//': IMAGES_COMMENT, operator: `reg.example:5000/flotilla/operator@${B}`, nats: `reg.example:5000/flotilla/nats@${B}`, 'node-runtime@0.1.0': committed['node-runtime@0.1.0'], 'node-runtime@0.2.0': `reg.example:5000/flotilla/node-runtime@${B}` });
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['//', 'operator', 'nats', 'node-runtime@0.1.0', 'node-runtime@0.2.0']);
    expect(text.endsWith('}\n')).toBe(true);
  });
});
