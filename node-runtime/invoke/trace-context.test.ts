import { describe, expect, it } from 'vitest';
import { childContext, formatTraceparent, parseTraceparent } from './trace-context.ts';

describe('trace context', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  it('continues a valid caller trace with a new span', () => {
    const child = childContext(parseTraceparent(valid));
    expect(child.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.spanId).not.toBe('00f067aa0ba902b7');
    expect(formatTraceparent(child)).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });
  it.each(['', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'])('starts a new trace for %j', (h) => {
    expect(parseTraceparent(h)).toBeUndefined();
    expect(formatTraceparent(childContext(undefined))).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
