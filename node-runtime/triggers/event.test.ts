import { describe, expect, it } from 'vitest';
import { cgiEnvironment } from '../wasi/wagi.ts';
import { eventRequest, normalizeHeaders, type TriggerEvent } from './event.ts';

const event: TriggerEvent = {
  id: 'ORDERS-7',
  source: '/nats/ORDERS',
  type: 'dev.flotilla.nats.message',
  subject: 'orders.eu',
  time: '2026-01-02T03:04:05.000Z',
  dataContentType: 'application/json',
  headers: { 'x-order': '42', authorization: 'Bearer secret' },
  data: new TextEncoder().encode('{}'),
  idempotencyKey: 'shop/orders:ORDERS:7',
  attempt: 2,
};

describe('events through the WAGI ABI', () => {
  it('become a CloudEvents binary-mode POST: attributes as HTTP_CE_* variables, payload length, idempotency key', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const env = cgiEnvironment(eventRequest(event, parent), { invocationId: 'inv', deadlineMs: 1, traceparent: parent }, 2, []);
    expect(env).toEqual(expect.arrayContaining([
      'REQUEST_METHOD=POST',
      'CONTENT_LENGTH=2',
      'CONTENT_TYPE=application/json',
      'HTTP_CE_SPECVERSION=1.0',
      'HTTP_CE_ID=ORDERS-7',
      'HTTP_CE_SOURCE=/nats/ORDERS',
      'HTTP_CE_TYPE=dev.flotilla.nats.message',
      'HTTP_CE_SUBJECT=orders.eu',
      'HTTP_CE_TIME=2026-01-02T03:04:05.000Z',
      'HTTP_IDEMPOTENCY_KEY=shop/orders:ORDERS:7',
      'HTTP_FLOTILLA_ATTEMPT=2',
      'HTTP_X_ORDER=42',
      `HTTP_TRACEPARENT=${parent}`,
      `TRACEPARENT=${parent}`,
    ]));
  });

  it('never forward credentials the producer put in headers', () => {
    expect(eventRequest(event, undefined).headers).not.toHaveProperty('authorization');
  });

  it('normalize repeated and mixed-case headers as HTTP does', () => {
    expect(normalizeHeaders([['X-A', '1'], ['x-a', '2'], ['B', '3']])).toEqual({ 'x-a': '1, 2', b: '3' });
  });
});
