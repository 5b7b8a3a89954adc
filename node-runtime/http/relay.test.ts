import { describe, expect, it } from 'vitest';
import { RELAY_HEADER, relayedClient } from './relay.ts';

describe('relayedClient', () => {
  const cases: [string, Record<string, string | string[]>, string | undefined, ReturnType<typeof relayedClient>][] = [
    ['the token and the client', { [RELAY_HEADER]: 'tok 8080 - 10.0.0.7' }, 'tok', { serverPort: 8080, remoteAddr: '10.0.0.7' }],
    ['an IPv6 client', { [RELAY_HEADER]: 'tok 80 - ::ffff:127.0.0.1' }, 'tok', { serverPort: 80, remoteAddr: '::ffff:127.0.0.1' }],
    ['a handed-off request keeps its deadline', { [RELAY_HEADER]: 'tok 80 1700000000123 10.0.0.7' }, 'tok', { serverPort: 80, remoteAddr: '10.0.0.7', deadlineMs: 1700000000123 }],
    ['a deadline that is not a number is none', { [RELAY_HEADER]: 'tok 80 soon 10.0.0.7' }, 'tok', { serverPort: 80, remoteAddr: '10.0.0.7' }],
    ['another token (a client posing as a worker)', { [RELAY_HEADER]: 'guess 8080 - 10.0.0.7' }, 'tok', undefined],
    ['no token on this listener', { [RELAY_HEADER]: 'tok 8080 - 10.0.0.7' }, undefined, undefined],
    ['no header', {}, 'tok', undefined],
    ['the header twice', { [RELAY_HEADER]: ['tok 1 a', 'tok 2 b'] }, 'tok', undefined],
  ];
  it.each(cases)('%s', (_name, headers, token, expected) => {
    expect(relayedClient(headers, token)).toEqual(expected);
  });
});
