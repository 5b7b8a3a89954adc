import { describe, expect, it } from 'vitest';
import type { RegisteredNode } from '../../api/index.ts';
import { withHearingGrace } from './lease-grace.ts';

const node = (expiresAtMs: number, problem?: string): RegisteredNode => ({
  name: 'n1', namespace: 'ns', runtime: 'edge', labels: {}, capacity: { functions: 10 }, report: {}, expiresAtMs, ready: problem === undefined && expiresAtMs > 100_000, ...(problem ? { problem } : {}),
});
const LEASE = 10_000;
const NOW = 100_000;
const neverBlind = { blind: false, blindSinceMs: undefined, recoveredAtMs: undefined };

describe('withHearingGrace', () => {
  it('expires a silent node the operator could hear all along (a fresh operator included)', () => {
    expect(withHearingGrace(node(NOW - 1), LEASE, neverBlind, NOW).ready).toBe(false);
    expect(withHearingGrace(node(NOW - 1), LEASE, { blind: false, blindSinceMs: NOW - 90_000, recoveredAtMs: NOW - 60_000 }, NOW).ready).toBe(false);
  });

  it('keeps a node whose Lease ran out while the operator was blind', () => {
    const n = withHearingGrace(node(NOW - 5000), LEASE, { blind: true, blindSinceMs: NOW - 20_000, recoveredAtMs: undefined }, NOW);
    expect(n).toMatchObject({ ready: true, expiresAtMs: NOW + LEASE });
  });

  it('gives such a node one lease duration to renew after the watch recovers, then expires it', () => {
    const hearing = { blind: false, blindSinceMs: NOW - 40_000, recoveredAtMs: NOW - 2000 };
    expect(withHearingGrace(node(NOW - 30_000), LEASE, hearing, NOW)).toMatchObject({ ready: true, expiresAtMs: NOW - 2000 + LEASE });
    expect(withHearingGrace(node(NOW - 30_000), LEASE, hearing, NOW + LEASE).ready).toBe(false);
  });

  it('gives no grace to a node already expired before the spell, a released Lease or a malformed one', () => {
    const hearing = { blind: true, blindSinceMs: NOW - 20_000, recoveredAtMs: undefined };
    expect(withHearingGrace(node(NOW - 25_000), LEASE, hearing, NOW).ready).toBe(false);
    expect(withHearingGrace(node(0), LEASE, hearing, NOW).ready).toBe(false);
    expect(withHearingGrace(node(NOW - 1, 'annotation is not JSON'), LEASE, hearing, NOW).ready).toBe(false);
  });

  it('never shortens a Lease that is still valid', () => {
    const n = withHearingGrace(node(NOW + 50_000), LEASE, { blind: false, blindSinceMs: NOW - 90_000, recoveredAtMs: NOW - 60_000 }, NOW);
    expect(n).toMatchObject({ ready: true, expiresAtMs: NOW + 50_000 });
  });
});
