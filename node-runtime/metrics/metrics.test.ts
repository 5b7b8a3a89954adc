import { describe, expect, it } from 'vitest';
import type { InlineCounts } from '../engine/protocol.ts';
import { HANDOFF_REASONS } from '../http/handoff.ts';
import { addInlineCounts, createMetrics } from './metrics.ts';

const counts = (handoffs: InlineCounts['handoffs'], fn = 'edge/a'): InlineCounts => ({
  http: { ok: 1 }, invocations: [[fn, 'ok', 1]], durations: [0.0001], coldStarts: [], inline: 1, interrupted: 0, failures: [], slowMarked: [], handoffs,
});

const handoffLines = async (m: ReturnType<typeof createMetrics>) => (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('flotilla_http_handoffs_total'));

describe('flotilla_http_handoffs_total', () => {
  it('has one series per reason from the start, at 0', async () => {
    const m = createMetrics({ instances: () => 0, queued: () => 0 }, false);
    expect(await handoffLines(m)).toEqual(HANDOFF_REASONS.map((r) => `flotilla_http_handoffs_total{reason="${r}"} 0`));
  });

  it('adds the listeners\' batches per reason, and stays at one series per reason however many functions hand off', async () => {
    const m = createMetrics({ instances: () => 0, queued: () => 0 }, false);
    for (let i = 0; i < 500; i++) addInlineCounts(m, counts({ notLinked: 1, ...(i % 2 === 0 ? { budget: 2 } : {}) }, `edge/f${i}`), i % 2);
    const lines = await handoffLines(m);
    expect(lines).toHaveLength(HANDOFF_REASONS.length);
    expect(lines).toContain('flotilla_http_handoffs_total{reason="notLinked"} 500');
    expect(lines).toContain('flotilla_http_handoffs_total{reason="budget"} 500');
    expect(lines).toContain('flotilla_http_handoffs_total{reason="noRoute"} 0');
  });
});
