import { describe, expect, it } from 'vitest';
import { statusUnchanged } from './status-diff.ts';

describe('statusUnchanged', () => {
  it.each([
    { name: 'no status yet', current: undefined, next: { a: 1 }, same: false },
    { name: 'equal, key order aside', current: { b: [1, { x: 1, y: 2 }], a: 1 }, next: { a: 1, b: [1, { y: 2, x: 1 }] }, same: true },
    { name: 'fields we do not write are ignored', current: { a: 1, other: 'x' }, next: { a: 1 }, same: true },
    { name: 'a changed value', current: { a: 1 }, next: { a: 2 }, same: false },
    { name: 'a field we add', current: { a: 1 }, next: { a: 1, b: 0 }, same: false },
    { name: 'an empty list the server dropped', current: { a: 1 }, next: { a: 1, nodes: [] }, same: true },
    { name: 'a list emptied', current: { nodes: ['x'] }, next: { nodes: [] }, same: false },
  ])('$name', ({ current, next, same }) => {
    expect(statusUnchanged(current, next)).toBe(same);
  });
});
