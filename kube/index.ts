// The controller runtime: informers, work queue, controllers, apply, Events and leader
// election. Reconcilers import from here only.
export { awaitChange, requeueAfter } from './action.ts';
export type { Action } from './action.ts';
export { apply, applyStatus, deleteIfExists, FIELD_MANAGER } from './apply.ts';
export { sleep, systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export type { Context } from './context.ts';
export { backoffErrorPolicy, Controller, watch } from './controller.ts';
export type { ControllerSpec, ErrorPolicy, Watch } from './controller.ts';
export { KubeApiError } from './errors.ts';
export type { KubeApiErrorCode } from './errors.ts';
export { createEventRecorder, EVENT_TYPE } from './events.ts';
export type { EventInput, EventRecorder } from './events.ts';
export { Informer } from './informer.ts';
export type { InformerOptions } from './informer.ts';
export { createKubeClient } from './kube-client.ts';
export type { KubeClient } from './kube-client.ts';
export { LEASE_TYPE, LeaderElector } from './leader-election.ts';
export type { Lease, LeaseSpec } from './leader-election.ts';
export { Manager } from './manager.ts';
export { createControllerMetrics } from './metrics.ts';
export type { ControllerMetrics } from './metrics.ts';
export { apiVersionOf, CONFIG_MAP_TYPE, controllerRef, objectKey, resourcePath } from './resource.ts';
export type { KubeObject, ObjectMeta, OwnerReference, ResourceType } from './resource.ts';
export { Store } from './store.ts';
