import { describe, expect, it } from 'vitest';
import { advertisedUrl } from './advertise.ts';

describe('advertisedUrl', () => {
  it.each([
    { host: '10.1.2.3', url: 'http://10.1.2.3:8080' },
    { host: 'fd00::7', url: 'http://[fd00::7]:8080' },
    { host: 'node-a.edge.internal', url: 'http://node-a.edge.internal:8080' },
    { host: '0.0.0.0', url: undefined },
    { host: '::', url: undefined },
    { host: '', url: undefined },
  ])('$host → $url', ({ host, url }) => {
    expect(advertisedUrl(host, 8080)).toBe(url);
  });
});
