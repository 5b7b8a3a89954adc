import { describe, expect, it } from 'vitest';
import { matchesFilters, type Filter } from './filters.ts';

const attrs = { 'ce-subject': 'orders.eu.de', 'x-priority': 'high', empty: '' };

describe('matchesFilters', () => {
  it.each<[string, Filter[], boolean]>([
    ['no filters match everything', [], true],
    ['Equals matches the exact value', [{ key: 'x-priority', operator: 'Equals', value: 'high' }], true],
    ['Equals is case-sensitive on the value', [{ key: 'x-priority', operator: 'Equals', value: 'HIGH' }], false],
    ['keys are case-insensitive', [{ key: 'X-Priority', operator: 'Equals', value: 'high' }], true],
    ['Prefix on the subject', [{ key: 'ce-subject', operator: 'Prefix', value: 'orders.eu.' }], true],
    ['Prefix that does not match', [{ key: 'ce-subject', operator: 'Prefix', value: 'orders.us.' }], false],
    ['Exists on an empty value', [{ key: 'empty', operator: 'Exists' }], true],
    ['Exists on a missing header', [{ key: 'x-missing', operator: 'Exists' }], false],
    ['Equals on a missing header', [{ key: 'x-missing', operator: 'Equals', value: '' }], false],
    ['all filters must match', [{ key: 'x-priority', operator: 'Equals', value: 'high' }, { key: 'ce-subject', operator: 'Prefix', value: 'orders.us' }], false],
  ])('%s', (_name, filters, expected) => {
    expect(matchesFilters(filters, attrs)).toBe(expected);
  });
});
