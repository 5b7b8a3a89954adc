import { describe, expect, it } from 'vitest';
import { electionStep, leaseSpecFor } from './leader-election.ts';

describe('electionStep', () => {
  const seen = (holderIdentity: string | null, observedAtMs = 0, leaseDurationSeconds = 15) => ({ spec: { holderIdentity, leaseDurationSeconds }, observedAtMs });
  it.each([
    { name: 'no lease yet', observed: undefined, now: 0, step: 'Create' },
    { name: 'we hold it', observed: seen('me', 0), now: 60_000, step: 'Renew' },
    { name: 'released (null holder)', observed: seen(null, 0), now: 1, step: 'Acquire' },
    { name: 'released (empty holder)', observed: seen('', 0), now: 1, step: 'Acquire' },
    { name: 'other holder, fresh', observed: seen('other', 10_000), now: 24_999, step: 'Wait' },
    { name: 'other holder, expired as we observed it', observed: seen('other', 10_000), now: 25_000, step: 'Acquire' },
  ] as const)('$name → $step', ({ observed, now, step }) => {
    expect(electionStep('me', observed, now)).toBe(step);
  });
});

describe('leaseSpecFor', () => {
  it('create starts at zero transitions', () => {
    expect(leaseSpecFor('Create', 'me', 15, 0)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '1970-01-01T00:00:00.000000Z',
      renewTime: '1970-01-01T00:00:00.000000Z',
      leaseTransitions: 0,
    });
  });

  it('acquire counts a transition; renew keeps acquireTime', () => {
    const prev = { holderIdentity: 'other', leaseTransitions: 3, acquireTime: 'then' };
    expect(leaseSpecFor('Acquire', 'me', 15, 1000, prev).leaseTransitions).toBe(4);
    const renewed = leaseSpecFor('Renew', 'me', 15, 2000, { ...prev, holderIdentity: 'me' });
    expect(renewed.acquireTime).toBe('then');
    expect(renewed.renewTime).toBe('1970-01-01T00:00:02.000000Z');
  });
});
