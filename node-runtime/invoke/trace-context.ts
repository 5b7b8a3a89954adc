/** W3C Trace Context (traceparent) parsing and child-span creation. Pure apart from randomness. */
import { randomUUID } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: string;
}

/** Parses a traceparent header; invalid or all-zero ids count as absent (the spec says restart the trace). */
export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  const m = header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, flags: m[4]! };
}

// randomUUID draws from a pre-filled entropy cache; randomBytes per id was a visible share of the
// per-request CPU under load (bench/runtime). A v4 UUID has 122 random bits: plenty for ids.
/**
 * The context of this invocation: a new span under the caller's trace, or a new trace, both drawn
 * from `id` (a v4 UUID, the invocation id): one random draw per invocation. The span id is the
 * UUID's last 16 hex digits, which start at its variant nibble (8-b), so it is never all zero.
 */
export function childContext(parent: TraceContext | undefined, id: string = randomUUID()): TraceContext {
  const hex = id.replaceAll('-', '');
  return { traceId: parent?.traceId ?? hex, spanId: hex.slice(16), flags: parent?.flags ?? '01' };
}

export function formatTraceparent(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${t.flags}`;
}
