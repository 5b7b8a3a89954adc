/**
 * One attempt at an event, shared by the NATS and MQTT sources: filters, the chain, then the retry
 * decision. What the source then does (ack, nak with delay, dead letter) is its own transport's.
 */
import type { ChainResult } from '../chain/runner.ts';
import type { TriggerContext, TriggerDef } from './definition.ts';
import { eventAttributes, type TriggerEvent } from './event.ts';
import { matchesFilters } from './filters.ts';
import { decide, type Decision } from './retry.ts';

export type Attempt =
  | { readonly kind: 'skipped' }
  | { readonly kind: 'ok'; readonly result: Extract<ChainResult, { ok: true }> }
  | { readonly kind: 'failed'; readonly failure: Extract<ChainResult, { ok: false }>; readonly decision: Exclude<Decision, { action: 'ack' }> };

export async function attempt(ctx: TriggerContext, def: TriggerDef, event: TriggerEvent): Promise<Attempt> {
  if (!matchesFilters(def.spec.filters, eventAttributes(event))) {
    ctx.events?.delivered?.(def.key, 'skipped');
    return { kind: 'skipped' };
  }
  const result = await ctx.chain.run(def.plan, event, def.spec.type);
  const log = { trigger: def.key, eventId: event.id, attempt: event.attempt, steps: result.steps.map((s) => `${s.functionKey}@${s.where}`) };
  if (result.ok) {
    ctx.events?.delivered?.(def.key, 'ok');
    ctx.logger.debug({ ...log, traceparent: result.traceparent }, 'Delivered event');
    return { kind: 'ok', result };
  }
  const decision = decide(def.spec.retry, event.attempt, false);
  if (decision.action === 'ack') throw new Error('unreachable: a failed attempt is never acknowledged as done');
  ctx.events?.delivered?.(def.key, decision.action);
  ctx.logger.warn({ ...log, function: result.functionKey, code: result.code, next: decision.action, ...(decision.action === 'retry' ? { delayMs: decision.delayMs } : {}) }, result.message);
  return { kind: 'failed', failure: result, decision };
}

/** Bytes of the error message carried in a dead letter's header. */
const ERROR_HEADER_BYTES = 1024;

/**
 * Headers of a dead letter: the original headers, then why it died. Values are single-line (NATS
 * headers and MQTT user properties are lines).
 */
export function deadLetterHeaders(def: TriggerDef, event: TriggerEvent, failure: { readonly code: string; readonly message: string; readonly functionKey?: string }): Record<string, string> {
  const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ').slice(0, ERROR_HEADER_BYTES);
  return {
    ...event.headers,
    'ce-id': event.id,
    'ce-source': event.source,
    'ce-type': event.type,
    'ce-subject': event.subject,
    'flotilla-trigger': def.key,
    ...(failure.functionKey ? { 'flotilla-function': failure.functionKey } : {}),
    'flotilla-error-code': failure.code,
    'flotilla-error': oneLine(failure.message),
    'flotilla-deliveries': String(event.attempt),
    'idempotency-key': event.idempotencyKey,
  };
}
