/**
 * Node runtime images pinned by digest: with --node-image-pin and --require-pinned-node-images (what
 * the rendered operator Deployment passes), a pool's DaemonSet runs the digest pinned for its
 * version, and a pool moved to a version without a pin is refused, its DaemonSet left as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { resourcePath } from '../../../kube/index.ts';
import { condition, operatorWorld } from './fixture.ts';
import type { OperatorWorld } from './fixture.ts';

const PINNED = `registry.example/flotilla/node-runtime@sha256:${'c'.repeat(64)}`;

describe('node runtime images pinned by digest', () => {
  let w: OperatorWorld;
  const daemonSetImage = async () =>
    (await w.api.request<{ spec: { template: { spec: { containers: { image: string }[] } } } }>({ method: 'GET', path: `/apis/apps/v1/namespaces/${w.ns.name}/daemonsets/flotilla-node-edge` })).spec.template.spec.containers[0]?.image;

  beforeAll(async () => {
    w = await operatorWorld('node-images', { nodeImagePins: new Map([['0.1.0', PINNED]]), requirePinnedNodeImages: true });
  });

  afterAll(async () => {
    await w?.close();
  });

  it('runs the image pinned for the pool\'s version', async () => {
    await w.addNode('node-a');
    await w.waitCondition(WASM_RUNTIME_TYPE, 'edge', 'Ready', { status: 'True' });
    expect(await daemonSetImage()).toBe(PINNED);
  });

  it('refuses a version without a pin: Ready=False NodeImageNotPinned, the DaemonSet untouched', async () => {
    await w.api.request({ method: 'PATCH', path: resourcePath(WASM_RUNTIME_TYPE, { namespace: w.ns.name, name: 'edge' }), body: { spec: { version: '0.3.0' } }, contentType: 'application/merge-patch+json' });
    const rt = await w.waitCondition(WASM_RUNTIME_TYPE, 'edge', 'Ready', { status: 'False', reason: 'NodeImageNotPinned' });
    expect(condition(rt, 'Ready')?.message).toContain('no node runtime image pinned by digest for version 0.3.0 (pinned: 0.1.0)');
    expect(await daemonSetImage()).toBe(PINNED);
  });
});
