/**
 * The operator's audit lines: every Event it records is also appended to the audit log
 * (api/audit.ts), classified by its action and reason: Verify is a verification (digest and
 * signer in the note), Place a deploy, a refusal of a spec an admission denial, the rest admin.
 */
import type { AuditEvent, AuditLog } from '../api/index.ts';
import type { EventInput, EventRecorder, KubeObject } from '../kube/index.ts';

/** Refusals of what a spec asks: admission denials in the audit log. */
const DENIALS = new Set(['LimitsExceedCeiling', 'HostPathNotAllowed', 'RouteConflict', 'AuthNotEnforceable', 'ChainCycle', 'NodeImageNotPinned', 'InvalidSpec']);

/** The audit kind of an Event. */
export function auditKind(e: EventInput): AuditEvent['kind'] {
  if (e.action === 'Verify') return 'verification';
  if (DENIALS.has(e.reason)) return 'denial';
  if (e.action === 'Place' || e.action === 'Scale') return 'deploy';
  return 'admin';
}

/** `recorder`, also writing each Event to `audit` (before the API call, so an API server outage loses no audit line). */
export function audited(recorder: EventRecorder, audit: AuditLog | undefined): EventRecorder {
  if (!audit) return recorder;
  return {
    record(regarding: KubeObject, e: EventInput) {
      const { kind = '?', metadata } = regarding;
      audit.record({ kind: auditKind(e), action: e.reason, object: `${kind} ${metadata.namespace ?? ''}${metadata.namespace ? '/' : ''}${metadata.name ?? '?'}`, details: { event: e.action, type: e.type, note: e.note } });
      return recorder.record(regarding, e);
    },
  };
}
