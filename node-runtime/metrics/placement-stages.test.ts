import { describe, expect, it } from 'vitest';
import { PlacementStages, type PlacementStage } from './placement-stages.ts';

function recorder(): { stages: PlacementStages; seen: PlacementStage[] } {
  const seen: PlacementStage[] = [];
  return { stages: new PlacementStages((stage, seconds) => { expect(seconds).toBeGreaterThanOrEqual(0); seen.push(stage); }), seen };
}

describe('PlacementStages', () => {
  it('observes each stage of a placement once, and forgets it once inline', () => {
    const { stages, seen } = recorder();
    stages.placed('edge/a', performance.now());
    stages.reached('edge/a', 'loaded');
    stages.reached('edge/a', 'loaded');
    stages.reached('edge/a', 'inline');
    stages.reached('edge/a', 'inline');
    expect(seen).toEqual(['loaded', 'inline']);
    expect(stages.size).toBe(0);
  });

  it('observes nothing for a function not placed (a load of one already running here)', () => {
    const { stages, seen } = recorder();
    stages.reached('edge/b', 'loaded');
    expect(seen).toEqual([]);
  });

  it('starts again when the function is placed again (a re-wake after scale to zero)', () => {
    const { stages, seen } = recorder();
    stages.placed('edge/a', performance.now());
    stages.reached('edge/a', 'loaded');
    stages.placed('edge/a', performance.now());
    stages.reached('edge/a', 'loaded');
    expect(seen).toEqual(['loaded', 'loaded']);
  });

  it('holds no more placements than functions placed: one that never runs inline goes with its function', () => {
    const { stages } = recorder();
    for (let i = 0; i < 100; i++) stages.placed(`edge/f${i}`, performance.now());
    stages.retain(new Map([['edge/f7', {}]]));
    expect(stages.size).toBe(1);
  });
});
