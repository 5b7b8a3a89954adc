/** NATS subjects of the chain transport; the names live in api/ beside the permissions that bind them. */
export { INVOKE_PREFIX, invokeSubject } from '../../api/nats-permissions.ts';

/** Queue group of the invoke subscriptions: one node of those hosting a function answers. */
export const INVOKE_QUEUE = 'flotilla-nodes';
