import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { EventRecorder } from './events.ts';
import type { KubeClient } from './kube-client.ts';

/**
 * What every reconciler gets instead of reaching for globals: the API server, time, a logger and an
 * Event recorder. Reconcilers extend it with the stores and services they read.
 */
export interface Context {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly recorder: EventRecorder;
}
