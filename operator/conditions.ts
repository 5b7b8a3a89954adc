import type { Condition, ConditionType, ReasonCode } from '../api/index.ts';

/** A condition as a reconciler computes it: the transition time is filled in by mergeConditions. */
export interface DesiredCondition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: ReasonCode;
  readonly message: string;
}

/**
 * The conditions to write: `desired` in order, each keeping its old lastTransitionTime unless its
 * status changed (the metav1.Condition rule), all stamped with the observed generation.
 */
export function mergeConditions(previous: readonly Condition[] | undefined, desired: readonly DesiredCondition[], generation: number, now: string): Condition[] {
  return desired.map((d) => {
    const old = previous?.find((c) => c.type === d.type);
    const lastTransitionTime = old && old.status === d.status ? old.lastTransitionTime : now;
    return { ...d, observedGeneration: generation, lastTransitionTime };
  });
}

/** Conditions whose status or reason changed: each is an Event the user should see. */
export function changedConditions(previous: readonly Condition[] | undefined, next: readonly DesiredCondition[]): DesiredCondition[] {
  return next.filter((d) => {
    const old = previous?.find((c) => c.type === d.type);
    return !old || old.status !== d.status || old.reason !== d.reason;
  });
}

/** RFC 3339 without fractions, as metav1.Time serialises. */
export function metaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
