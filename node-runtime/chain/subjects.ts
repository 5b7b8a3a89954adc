/** NATS subjects of the chain transport. */

/** Prefix of the per-function invoke subjects; NATS permissions on it are the perimeter (docs/events.md). */
export const INVOKE_PREFIX = 'flotilla.invoke';

/** Where nodes hosting `functionKey` ("ns/name") listen; DNS names hold no "_", so "." -> "_" is safe. */
export function invokeSubject(functionKey: string): string {
  const [ns = '', name = ''] = functionKey.split('/');
  return `${INVOKE_PREFIX}.${ns}.${name.replaceAll('.', '_')}`;
}

/** Queue group of the invoke subscriptions: one node of those hosting a function answers. */
export const INVOKE_QUEUE = 'flotilla-nodes';
