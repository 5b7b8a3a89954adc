import { microTime } from '../api/index.ts';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { KubeClient } from './kube-client.ts';
import { resourcePath } from './resource.ts';
import type { KubeObject, ResourceType } from './resource.ts';

export const EVENT_TYPE: ResourceType = { group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true };

/** Who reports the events, as kubectl shows it. */
export const REPORTING_CONTROLLER = 'flotilla.dev/operator';

export interface EventInput {
  readonly type: 'Normal' | 'Warning';
  /** CamelCase reason from api/ (the same code that names the condition reason). */
  readonly reason: string;
  /** What the controller did or tried: "Place", "Verify", "Apply". */
  readonly action: string;
  /** For the user: what happened and what to do. */
  readonly note: string;
}

/** Records Events about objects; reconcilers call it on transitions a user should know about, not on every pass. */
export interface EventRecorder {
  record(regarding: KubeObject, event: EventInput): Promise<void>;
}

export { microTime };

/** The events.k8s.io/v1 Event for `input` about `regarding` (pure: name suffix and time come in). */
export function buildEvent(regarding: KubeObject, input: EventInput, at: { nowMs: number; suffix: string; instance: string }) {
  const namespace = regarding.metadata.namespace ?? 'default';
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${regarding.metadata.name ?? 'object'}.${at.suffix}`, namespace },
    eventTime: microTime(at.nowMs),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: at.instance,
    type: input.type,
    reason: input.reason,
    action: input.action,
    // The API rejects notes over 1 kB; the message is for humans, truncation is fine.
    note: input.note.length > 1024 ? `${input.note.slice(0, 1021)}...` : input.note,
    regarding: {
      apiVersion: regarding.apiVersion,
      kind: regarding.kind,
      name: regarding.metadata.name,
      namespace: regarding.metadata.namespace,
      uid: regarding.metadata.uid,
      resourceVersion: regarding.metadata.resourceVersion,
    },
  };
}

/**
 * An EventRecorder that creates events.k8s.io/v1 Events through the API server. Best effort, like
 * client-go's recorder: an Event is advice to a human, and the state it describes is already in
 * status conditions, so a refused Event is logged and the reconcile goes on (failing it would
 * re-run its writes and, since the condition no longer changes, still not record the Event).
 */
export function createEventRecorder(client: KubeClient, clock: Clock, instance: string, log: Logger): EventRecorder {
  return {
    async record(regarding, input) {
      const event = buildEvent(regarding, input, { nowMs: clock.now(), suffix: randomBytes(8).toString('hex'), instance });
      try {
        await client.request({ method: 'POST', path: resourcePath(EVENT_TYPE, { namespace: event.metadata.namespace }), body: event });
      } catch (err) {
        log.warn({ regarding: `${regarding.kind}/${regarding.metadata.namespace ?? ''}/${regarding.metadata.name ?? ''}`, reason: input.reason, err: (err as Error).message }, 'Event not recorded');
      }
    },
  };
}
