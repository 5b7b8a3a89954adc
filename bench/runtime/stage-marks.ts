/**
 * Where a re-wake's or a restart's first answer goes, read from the node's own stage timings
 * (its /metrics, scraped before and after one sample: a scrape also brings the listener threads'
 * counts). Node-internal figures depend less on the machine's load than the wall clock does.
 */
import { request } from '../../devenv/fixtures/http-client.ts';

/** One sample's stages, ms (µs where named); absent when the sample did not pass that stage. */
export interface StageSample {
  /** apply → module Loaded (verified, compiled), inside the node. */
  readonly loadedMs: number | undefined;
  /** apply → runnable inline on the listener threads. */
  readonly inlineMs: number | undefined;
  /** Module load stages this sample ran (verify from disk, compile), ms. */
  readonly verifyMs: number;
  readonly compileMs: number;
  /** The first request's instantiation (cold start in its thread), µs. */
  readonly instantiateMicros: number;
  /** The first request's invocation as the node timed it (inline: the run; through the main thread: pool queue, hop, run), µs. */
  readonly invocationMicros: number;
  /** Whether the first request ran inline on a listener; if not, the listener's hand-off reasons. */
  readonly inline: boolean;
  readonly handoffs: readonly string[];
}

type Scrape = ReadonlyMap<string, number>;

/** Every sample line of the node's /metrics, by its series (`name{labels}`). */
export async function scrape(adminUrl: string): Promise<Scrape> {
  const text = (await request(adminUrl, '/metrics')).body;
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The sum over series of `name` whose text contains `labels` (e.g. `stage="loaded"`), after minus before. */
function delta(before: Scrape, after: Scrape, name: string, labels = ''): number {
  let d = 0;
  for (const [series, v] of after) {
    if ((series === name || series.startsWith(`${name}{`)) && series.includes(labels)) d += v - (before.get(series) ?? 0);
  }
  return d;
}

/** The stages of one sample from the scrapes around it. */
export function stagesBetween(before: Scrape, after: Scrape): StageSample {
  const stage = (s: string) => (delta(before, after, 'flotilla_placement_stage_seconds_count', `stage="${s}"`) > 0 ? delta(before, after, 'flotilla_placement_stage_seconds_sum', `stage="${s}"`) * 1000 : undefined);
  const handoffs: string[] = [];
  for (const [series, v] of after) {
    const m = /^flotilla_http_handoffs_total\{reason="(\w+)"\}$/.exec(series);
    if (m && v > (before.get(series) ?? 0)) handoffs.push(m[1]!);
  }
  return {
    loadedMs: stage('loaded'),
    inlineMs: stage('inline'),
    verifyMs: delta(before, after, 'flotilla_module_load_stage_duration_seconds_sum', 'stage="verify"') * 1000,
    compileMs: delta(before, after, 'flotilla_module_load_stage_duration_seconds_sum', 'stage="compile"') * 1000,
    instantiateMicros: delta(before, after, 'flotilla_instance_init_duration_seconds_sum') * 1e6,
    invocationMicros: delta(before, after, 'flotilla_invocation_duration_seconds_sum') * 1e6,
    inline: delta(before, after, 'flotilla_http_inline_requests_total') > 0,
    handoffs,
  };
}

/** One line for the bench's log. */
export function formatStages(s: StageSample): string {
  const ms = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(3));
  const load = s.verifyMs + s.compileMs > 0 ? `, verify ${s.verifyMs.toFixed(2)} ms, compile ${s.compileMs.toFixed(2)} ms` : '';
  return `apply→loaded ${ms(s.loadedMs)} ms, apply→inline ${ms(s.inlineMs)} ms${load}, first request ${s.inline ? 'inline' : `relayed (${s.handoffs.join(', ') || 'main thread'})`}: instantiate ${s.instantiateMicros.toFixed(0)} µs, invocation ${s.invocationMicros.toFixed(0)} µs`;
}
