import { describe, expect, it } from 'vitest';
import { CRON_CLAIMS_BUCKET, inboxPrefix, invokeSubject, kvBucketName, poolPermissions, renderAuthorization, triggerDurable } from './nats-permissions.ts';

const NKEY = `U${'A'.repeat(55)}`;

describe('pool NATS permissions', () => {
  const perms = poolPermissions({
    nkey: NKEY,
    functions: ['shop/echo', 'shop/counter'],
    sharedState: ['shop/counter'],
    chainSteps: ['shop/echo', 'shop/mail.v2'],
    natsTriggers: [{ key: 'shop/orders', stream: 'ORDERS', subject: 'ORDERS.new', durable: triggerDurable('shop/orders', undefined), deadLetter: 'ORDERS.dead' }],
  });

  it('subscribes only on its own inboxes and its own functions\' invoke subjects', () => {
    expect(perms.subscribe.allow).toEqual([`_INBOX.${NKEY}.>`, 'flotilla.invoke.shop.counter', 'flotilla.invoke.shop.echo']);
  });

  it.each([
    ['a chain step elsewhere', 'flotilla.invoke.shop.mail_v2'],
    ['its trigger\'s consumer create, the filter pinned', '$JS.API.CONSUMER.CREATE.ORDERS.shop-orders.ORDERS.new'],
    ['its trigger\'s pulls', '$JS.API.CONSUMER.MSG.NEXT.ORDERS.shop-orders'],
    ['its trigger\'s acks', '$JS.ACK.ORDERS.shop-orders.>'],
    ['its dead letter', 'ORDERS.dead'],
    ['its shared state', '$KV.flotilla_kv_shop_counter.>'],
    ['the cron claims', `$KV.${CRON_CLAIMS_BUCKET}.>`],
  ])('publishes on %s', (_what, subject) => {
    expect(perms.publish.allow).toContain(subject);
  });

  it.each([
    ['no wildcard over every subject', '>'],
    ['no invoke subject but its chains\'', 'flotilla.invoke.>'],
    ['no consumer create without the filter', '$JS.API.CONSUMER.CREATE.ORDERS.shop-orders'],
    ['no legacy durable create (no filter in the subject)', '$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.shop-orders'],
    ['no KV of a function without shared state', '$KV.flotilla_kv_shop_echo.>'],
    ['no stream create beyond its KV buckets', '$JS.API.STREAM.CREATE.ORDERS'],
  ])('has %s', (_what, subject) => {
    expect(perms.publish.allow).not.toContain(subject);
    expect(perms.publish.allow.some((s) => s === '>' || s === '$JS.API.>' || s === '$JS.>')).toBe(false);
  });

  it('is deterministic: sorted, without duplicates', () => {
    expect([...perms.publish.allow].sort()).toEqual(perms.publish.allow);
    expect(new Set(perms.publish.allow).size).toBe(perms.publish.allow.length);
  });
});

describe('subject names', () => {
  it.each([
    ['shop/echo', 'flotilla.invoke.shop.echo', 'flotilla_kv_shop_echo'],
    ['shop/mail.v2', 'flotilla.invoke.shop.mail_v2', 'flotilla_kv_shop_mail_v2'],
  ])('%s', (fn, subject, bucket) => {
    expect(invokeSubject(fn)).toBe(subject);
    expect(kvBucketName(fn)).toBe(bucket);
  });

  it('names durables "<ns>-<trigger>" unless the spec names one', () => {
    expect(triggerDurable('shop/orders.eu', undefined)).toBe('shop-orders_eu');
    expect(triggerDurable('shop/orders', 'mine')).toBe('mine');
  });

  it('keys inboxes by the public nkey', () => {
    expect(inboxPrefix(NKEY)).toBe(`_INBOX.${NKEY}`);
  });
});

describe('renderAuthorization', () => {
  it('renders one nkey user per pool, its allow lists and one response per request', () => {
    const text = renderAuthorization([{ nkey: NKEY, permissions: { publish: { allow: ['a.b'] }, subscribe: { allow: ['c.>'] } } }]);
    expect(text).toBe(`authorization: {
  users: [
    {
      nkey: "${NKEY}"
      permissions: {
        publish: { allow: ["a.b"] }
        subscribe: { allow: ["c.>"] }
        allow_responses: { max: 1 }
      }
    }
  ]
}
`);
  });

  it.each([['a seed', `SU${'A'.repeat(56)}`], ['an account key', `A${'A'.repeat(55)}`], ['a short key', 'UABC']])('refuses %s as a user nkey, naming the fix', (_what, nkey) => {
    expect(() => renderAuthorization([{ nkey, permissions: { publish: { allow: [] }, subscribe: { allow: [] } } }])).toThrow(/expected a public user nkey .*flotilla nats keygen/);
  });
});
