import { describe, expect, it } from 'vitest';
import { API_VERSION, validateWasmFunction, type WasmFunctionSpec } from '../../api/index.ts';
import { configureCapabilities, grantsFrom } from './registry.ts';

const digest = `sha256:${'a'.repeat(64)}`;

/** A spec as api/ validates and defaults it. */
function spec(extra: Record<string, unknown>): WasmFunctionSpec {
  const r = validateWasmFunction({ apiVersion: API_VERSION, kind: 'WasmFunction', metadata: { name: 'f' }, spec: { module: { ref: `registry.local/f@${digest}` }, ...extra } });
  if (!r.ok) throw new Error(`expected a valid spec, got ${JSON.stringify(r.errors)}`);
  return r.value.spec;
}

const disk = { bindingFor: (key: string, shared: boolean) => (shared ? { store: 'nats' as const, channel: 'c', bucket: key } : { store: 'disk' as const, dir: `/kv/${key}` }) };

describe('host capability grants and configuration', () => {
  it('reads each grant from its spec field, within the pool', () => {
    const pool = { name: 'WasmRuntime ns/edge', hostPaths: { allowed: [{ path: '/srv', readOnly: true }] } };
    const wasi = { allowed: pool.hostPaths.allowed, allowedBy: 'WasmRuntime ns/edge spec.hostPaths.allowed' };
    expect(grantsFrom(spec({}), pool)).toEqual({ wasi: { dirs: [], ...wasi } });
    expect(grantsFrom(spec({ capabilities: { volumes: [{ name: 'd', hostPath: '/srv/d', mountPath: '/data' }] }, state: { store: 'nats' } }), pool)).toEqual({
      wasi: { dirs: [{ guestPath: '/data', hostPath: '/srv/d', readOnly: true, grantedAs: 'spec.capabilities.volumes d' }], ...wasi },
      kv: { store: 'nats' },
    });
  });

  it('links WASI always and kv only when granted, bound to the node\'s store', () => {
    expect(configureCapabilities('ns/f', {}, {})).toEqual({ wasi: { preopens: [] } });
    expect(configureCapabilities('ns/f', { kv: { store: 'disk' } }, { state: disk })).toEqual({ wasi: { preopens: [] }, kv: { store: 'disk', dir: '/kv/ns/f' } });
  });

  it.each([
    ['no state directory', {}, /^function ns\/f: expected a state directory for spec\.state, got none/],
    ['a store that refuses', { state: { bindingFor: () => { throw new Error('this node has no NATS connection'); } } }, /^function ns\/f: spec\.state\.store nats: this node has no NATS connection/],
  ])('refuses a kv grant the node cannot bind (%s), naming the field', (_case, node, message) => {
    expect(() => configureCapabilities('ns/f', { kv: { store: 'nats' } }, node)).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringMatching(message) as unknown }));
  });
});
