/**
 * How long a function placed on this node takes to get ready, in stages: from the desired state
 * that placed it (a deploy, a re-wake after scale to zero, a restart) to its module Loaded, and to
 * the listener threads holding it as runnable inline. The first request's own stages (instantiate,
 * run) are in flotilla_instance_init_duration_seconds and flotilla_invocation_duration_seconds.
 */

/** The stages after a placement: `loaded` (module compiled and verified), `inline` (posted to the listeners to run inline). */
export const PLACEMENT_STAGES = ['loaded', 'inline'] as const;

/** One of PLACEMENT_STAGES. */
export type PlacementStage = (typeof PLACEMENT_STAGES)[number];

/** Placements waiting for their stages, by function key; each stage observed once per placement. */
export class PlacementStages {
  private readonly pending = new Map<string, { readonly at: number; loaded: boolean }>();
  private readonly observe: (stage: PlacementStage, seconds: number) => void;

  constructor(observe: (stage: PlacementStage, seconds: number) => void) {
    this.observe = observe;
  }

  /** `key` was placed (or placed again with a new definition) at `at` (performance.now()). */
  placed(key: string, at: number): void {
    this.pending.set(key, { at, loaded: false });
  }

  /** `key` reached `stage` now; observed the first time only. `inline` ends the placement's record. */
  reached(key: string, stage: PlacementStage): void {
    const p = this.pending.get(key);
    if (!p || (stage === 'loaded' && p.loaded)) return;
    p.loaded = true;
    if (stage === 'inline') this.pending.delete(key);
    this.observe(stage, (performance.now() - p.at) / 1000);
  }

  /** Forgets placements of functions no longer placed here (one that never runs inline stays until then). */
  retain(functions: ReadonlyMap<string, unknown>): void {
    for (const key of this.pending.keys()) if (!functions.has(key)) this.pending.delete(key);
  }

  /** Placements still waiting for a stage. */
  get size(): number {
    return this.pending.size;
  }
}
