import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';
import { crdFor, WASM_RUNTIME } from '../../../api/index.ts';
import {
  apply,
  applyStatus,
  createEventRecorder,
  EVENT_TYPE,
  FIELD_MANAGER,
  resourcePath,
  systemClock,
} from '../../../kube/index.ts';
import type { KubeObject, ResourceType } from '../../../kube/index.ts';
import { WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { installCrds } from '../../../devenv/fixtures/crds.ts';
import { client, quietLog } from './support.ts';

const CONFIG_MAP: ResourceType = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
type ConfigMap = KubeObject & { data?: Record<string, string> };

describe('writes: server-side apply, status, Events', () => {
  let ns: TestNamespace;
  const api = client();
  const get = (name: string) => api.request<ConfigMap>({ method: 'GET', path: resourcePath(CONFIG_MAP, { namespace: ns.name, name }) });
  beforeAll(async () => {
    ns = await createTestNamespace('writes');
  });
  afterAll(() => ns.delete());

  it('apply owns exactly the fields it sends: a dropped key is removed, another manager\'s key stays', async () => {
    const cm = (data: Record<string, string>): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: ns.name }, data });
    await apply(api, CONFIG_MAP, cm({ a: '1', b: '2' }));
    await api.request({
      method: 'PATCH',
      path: resourcePath(CONFIG_MAP, { namespace: ns.name, name: 'ssa' }),
      query: { fieldManager: 'someone-else' },
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { theirs: 'x' } },
      contentType: 'application/apply-patch+yaml',
    });
    await apply(api, CONFIG_MAP, cm({ a: '1' }));
    const stored = await get('ssa');
    expect(stored.data).toEqual({ a: '1', theirs: 'x' });
    expect(stored.metadata.managedFields?.filter((f) => f.operation === 'Apply').map((f) => f.manager).sort()).toEqual([FIELD_MANAGER, 'someone-else']);
  });

  it('applyStatus writes through the status subresource only', async () => {
    await installCrds(api, [crdFor(WASM_RUNTIME)]);
    const runtime = await api.request<KubeObject & { status?: { readyNodes?: number } }>({
      method: 'POST',
      path: resourcePath(WASM_RUNTIME_TYPE, { namespace: ns.name }),
      body: { apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmRuntime', metadata: { name: 'edge' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' } } },
    });
    const written = await applyStatus<KubeObject & { status?: { readyNodes?: number }; spec?: { version?: string } }, unknown>(api, WASM_RUNTIME_TYPE, runtime, { readyNodes: 3, desiredNodes: 3 });
    expect(written.status?.readyNodes).toBe(3);
    expect(written.metadata.generation).toBe(runtime.metadata.generation); // status writes do not bump generation
    expect(written.metadata.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.subresource === 'status')).toBe(true);
  });

  it('records events.k8s.io/v1 Events about an object', async () => {
    const cm = await api.request<ConfigMap>({ method: 'POST', path: resourcePath(CONFIG_MAP, { namespace: ns.name }), body: { metadata: { name: 'evented' } } });
    const recorder = createEventRecorder(api, systemClock, 'test-instance', quietLog);
    await recorder.record({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }, { type: 'Warning', reason: 'NoSignature', action: 'Verify', note: 'module has no signature: sign it with flotilla sign' });
    const list = await api.request<{ items: { reason: string; note: string; regarding: { name: string }; reportingController: string }[] }>({ method: 'GET', path: resourcePath(EVENT_TYPE, { namespace: ns.name }) });
    expect(list.items.map((e) => [e.reason, e.regarding.name, e.reportingController, e.note])).toEqual([
      ['NoSignature', 'evented', 'flotilla.dev/operator', 'module has no signature: sign it with flotilla sign'],
    ]);
  });
});
