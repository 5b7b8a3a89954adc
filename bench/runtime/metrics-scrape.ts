/**
 * One /metrics scrape with N functions that each ran once (a cold start and an invocation: the
 * per-function series an idle fleet of functions leaves behind), timed around the registry's
 * text rendering, the whole of a scrape's work on the node. Baseline, same run: the same registry
 * with no function series (the node's fixed series alone).
 */
import { createMetrics } from '../../node-runtime/metrics/metrics.ts';

export interface ScrapeResult {
  readonly functions: number;
  /** Milliseconds per scrape, one sample per run. */
  readonly scrapeMs: number[];
  readonly emptyMs: number[];
  /** Lines of the exposition at N functions. */
  readonly lines: number;
}

async function scrapeMs(render: () => Promise<string>): Promise<[number, number]> {
  const t0 = performance.now();
  const text = await render();
  return [performance.now() - t0, text.split('\n').length];
}

export async function measureScrape(n: number, runs: number, log: (l: string) => void): Promise<ScrapeResult> {
  const gauges = { instances: () => n, queued: () => 0 };
  const empty = createMetrics(gauges, false);
  const full = createMetrics(gauges, false);
  for (let i = 0; i < n; i++) {
    const fn = `bench/fn-${i}`;
    full.coldStarts.inc({ function: fn });
    full.initDuration.observe(0.0004);
    full.invocations.inc({ function: fn, outcome: 'ok' });
    full.duration.observe(0.001);
  }
  const out: ScrapeResult = { functions: n, scrapeMs: [], emptyMs: [], lines: 0 };
  for (let r = 0; r < runs; r++) {
    const [ms, lines] = await scrapeMs(() => full.registry.metrics());
    const [emptyMs] = await scrapeMs(() => empty.registry.metrics());
    log(`metrics scrape run ${r + 1}: ${n} functions ${ms.toFixed(1)} ms (${lines} lines), none ${emptyMs.toFixed(2)} ms`);
    out.scrapeMs.push(ms);
    out.emptyMs.push(emptyMs);
    Object.assign(out, { lines });
  }
  return out;
}
