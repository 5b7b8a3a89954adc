/**
 * An event as every source hands it to a function: CloudEvents attributes plus the payload.
 * The function sees it through the same WAGI ABI as an HTTP request, as a CloudEvents binary-mode
 * POST: payload on stdin, attributes as `ce-*` headers, i.e. HTTP_CE_ID, HTTP_CE_SOURCE, ... in
 * the environment (docs/events.md lists them). Pure.
 */
import type { RequestMeta } from '../wasi/wagi.ts';

export interface TriggerEvent {
  /** CloudEvents id: the producer's `ce-id` when it sent one, else one the source derives. */
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** NATS subject, MQTT topic or cron trigger name. */
  readonly subject: string;
  /** RFC 3339. */
  readonly time: string;
  readonly dataContentType?: string;
  /** The message's own headers (NATS headers, MQTT user properties), names lowercased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly data: Uint8Array;
  /** Stable across redeliveries of this event to this trigger: the function deduplicates on it. */
  readonly idempotencyKey: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
  readonly traceparent?: string;
}

/** CloudEvents attributes as the headers filters match and the function sees (`ce-` prefixed). */
export function eventAttributes(e: TriggerEvent): Record<string, string> {
  return {
    ...e.headers,
    'ce-specversion': '1.0',
    'ce-id': e.id,
    'ce-source': e.source,
    'ce-type': e.type,
    'ce-subject': e.subject,
    'ce-time': e.time,
    ...(e.dataContentType ? { 'content-type': e.dataContentType } : {}),
    'idempotency-key': e.idempotencyKey,
    'flotilla-attempt': String(e.attempt),
    ...(e.traceparent ? { traceparent: e.traceparent } : {}),
  };
}

// Credentials are never forwarded into a function, whatever the producer put in its headers.
const WITHHELD = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** The request a function sees for an event. `traceparent` is this step's, so functions can log it. */
export function eventRequest(e: TriggerEvent, traceparent: string | undefined, extra: Readonly<Record<string, string>> = {}): RequestMeta {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...eventAttributes(e), ...extra, ...(traceparent ? { traceparent } : {}) })) {
    if (!WITHHELD.has(k)) headers[k] = v;
  }
  return { method: 'POST', path: '/', query: '', headers, host: 'localhost', scheme: 'http', serverPort: 0, remoteAddr: '', matchedRoute: '/' };
}

/** Lowercases header names and joins repeated values with ", " (as HTTP does). */
export function normalizeHeaders(entries: Iterable<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    const name = k.toLowerCase();
    out[name] = name in out ? `${out[name]}, ${v}` : v;
  }
  return out;
}
