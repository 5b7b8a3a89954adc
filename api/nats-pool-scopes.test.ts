import { describe, expect, it } from 'vitest';
import { groupByKind, parseManifests } from './manifests.ts';
import { natsPoolScopes } from './nats-pool-scopes.ts';

const URL = 'nats://nats.site:4222';
const KEY_EDGE = `U${'A'.repeat(55)}`;
const KEY_GPU = `U${'B'.repeat(55)}`;
const DIGEST = `sha256:${'a'.repeat(64)}`;

const runtime = (name: string) => `apiVersion: flotilla.dev/v1alpha1\nkind: WasmRuntime\nmetadata: { name: ${name}, namespace: shop }\nspec: { version: 0.1.0, trustPolicyRef: { name: fleet }, nats: { url: "${URL}" } }\n`;
const fn = (name: string, pool: string, store = 'disk') => `apiVersion: flotilla.dev/v1alpha1\nkind: WasmFunction\nmetadata: { name: ${name}, namespace: shop }\nspec: { module: { ref: "reg.example/${name}@${DIGEST}" }, runtimeClass: ${pool}, state: { store: ${store} } }\n`;
const natsTrigger = (name: string, functionRef: string, url: string, extra = '') => `apiVersion: flotilla.dev/v1alpha1\nkind: FunctionTrigger\nmetadata: { name: ${name}, namespace: shop }\nspec: { functionRef: ${functionRef}, type: nats, nats: { url: "${url}", stream: ORDERS, subject: ORDERS.${name} }${extra} }\n`;

const manifests = groupByKind(parseManifests([
  runtime('edge'),
  runtime('gpu'),
  fn('echo', 'edge'),
  fn('counter', 'edge', 'nats'),
  fn('render', 'gpu'),
  natsTrigger('orders', 'echo', URL, ', next: [{ functionRef: render }], deadLetter: { target: ORDERS.dead }'),
  natsTrigger('elsewhere', 'counter', 'nats://other:4222'),
  natsTrigger('frames', 'render', URL),
].join('---\n')));

describe('natsPoolScopes', () => {
  it('gives each pool its functions, shared state, chain steps and the triggers on the cluster\'s NATS', () => {
    const [edge, gpu] = natsPoolScopes(manifests, URL, { 'shop/edge': KEY_EDGE, 'shop/gpu': KEY_GPU });
    expect(edge).toEqual({
      nkey: KEY_EDGE,
      functions: ['shop/counter', 'shop/echo'],
      sharedState: ['shop/counter'],
      // The chain's second step runs on the gpu pool: edge publishes its invoke requests.
      chainSteps: ['shop/counter', 'shop/echo', 'shop/render'],
      // "elsewhere" reads another server: no permissions on this one.
      natsTriggers: [{ key: 'shop/orders', stream: 'ORDERS', subject: 'ORDERS.orders', durable: 'shop-orders', deadLetter: 'ORDERS.dead' }],
    });
    expect(gpu).toEqual({ nkey: KEY_GPU, functions: ['shop/render'], sharedState: [], chainSteps: ['shop/render'], natsTriggers: [{ key: 'shop/frames', stream: 'ORDERS', subject: 'ORDERS.frames', durable: 'shop-frames' }] });
  });

  it.each([
    ['a pool without a key', { 'shop/edge': KEY_EDGE }, /got none for shop\/gpu; make one with `flotilla nats keygen`/],
    ['a key for no pool', { 'shop/edge': KEY_EDGE, 'shop/gpu': KEY_GPU, 'shop/cpu': KEY_GPU }, /got shop\/cpu; remove them or fix the names/],
    ['a seed in place of a public key', { 'shop/edge': KEY_EDGE, 'shop/gpu': `SU${'A'.repeat(56)}` }, /NATS key of shop\/gpu: expected a public user nkey .*never the seed/],
  ])('refuses %s', (_what, keys, error) => {
    expect(() => natsPoolScopes(manifests, URL, keys)).toThrow(error);
    expect(() => natsPoolScopes(manifests, URL, keys)).not.toThrow(/SUAAAA/);
  });
});
