import { describe, expect, it } from 'vitest';
import { parseNodeImagePins } from './operator.ts';

const IMG = `registry.example/flotilla/node-runtime@sha256:${'a'.repeat(64)}`;

describe('parseNodeImagePins', () => {
  it('maps each version to its image pinned by digest', () => {
    expect(parseNodeImagePins([`0.1.0=${IMG}`, `0.2.0=${IMG.replace(/a+$/, 'b'.repeat(64))}`])).toEqual(new Map([['0.1.0', IMG], ['0.2.0', IMG.replace(/a+$/, 'b'.repeat(64))]]));
  });

  it.each([
    ['a tag, not a digest', `0.1.0=registry.example/flotilla/node-runtime:0.1.0`],
    ['no version', IMG],
    ['a short digest', '0.1.0=r.example/n@sha256:abc'],
  ])('refuses %s, naming the flag and the expected form', (_what, value) => {
    expect(() => parseNodeImagePins([value])).toThrow(/--node-image-pin: expected <version>=<repository>@sha256:<64 hex>/);
  });

  it('refuses two different images for one version', () => {
    expect(() => parseNodeImagePins([`0.1.0=${IMG}`, `0.1.0=${IMG.replace(/a+$/, 'c'.repeat(64))}`])).toThrow('version 0.1.0 pinned twice');
  });
});
