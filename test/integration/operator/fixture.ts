/**
 * One operator test world: a namespace with the CRDs, a trust policy holding a fresh key, a
 * registry repository to push (and sign) modules into, simulated nodes, and an in-process operator
 * watching only that namespace, plus the small helpers every reconciler test needs.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { crdFor, KINDS } from '../../../api/index.ts';
import type { Condition } from '../../../api/index.ts';
import { buildWasmArtifact, openStore, parseReference, publicKeyPem, pushWasmArtifact, signArtifact } from '../../../artifacts/index.ts';
import type { ArtifactStore } from '../../../artifacts/index.ts';
import { WASM_RUNTIME_TYPE } from '../../../operator/kinds.ts';
import { startOperator } from '../../../operator/operator.ts';
import type { RunningOperator } from '../../../operator/operator.ts';
import { resourcePath } from '../../../kube/index.ts';
import type { KubeObject, ResourceType } from '../../../kube/index.ts';
import { createTestNamespace, harness, kubeConfig, uniqueName, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';
import { installCrds } from '../../../devenv/fixtures/crds.ts';
import { simulatedNode } from './simulated-node.ts';
import type { SimulatedNode, SimulatedNodeOptions } from './simulated-node.ts';
import { client, quietLog } from './support.ts';

export type WithStatus = KubeObject & {
  status?: { conditions?: Condition[]; nodes?: string[]; readyInstances?: number; readyNodes?: number; desiredNodes?: number; resolvedDigest?: string; currentVersion?: string };
};

/** The smallest valid module plus a custom section, so each call yields a distinct digest. */
export function wasmModule(tag: string): Uint8Array {
  const name = Buffer.from(tag);
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, name.length + 1, name.length, ...name]);
}

export function condition(obj: WithStatus, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** A WasmFunction spec with small limits. */
export function fnSpec(ref: string, minInstances = 2, runtimeClass = 'edge') {
  return { module: { ref }, limits: { memoryPages: 16, timeoutMs: 1000, concurrency: 4 }, scaling: { minInstances, maxInstances: 5 }, runtimeClass };
}

export interface OperatorWorld {
  readonly ns: TestNamespace;
  readonly api: ReturnType<typeof client>;
  /** The key the namespace's trust policy ("fleet") trusts. */
  readonly key: KeyObject;
  operator: RunningOperator;
  readonly nodes: SimulatedNode[];
  startOperator(): Promise<RunningOperator>;
  /** Pushes a distinct module; signs it with `signWith` (default: the trusted key; null = unsigned). Returns the pinned ref. */
  pushModule(tag: string, signWith?: KeyObject | null): Promise<string>;
  addNode(node: string, opts?: Partial<SimulatedNodeOptions>): Promise<SimulatedNode>;
  get<T extends KubeObject = WithStatus>(type: ResourceType, name: string): Promise<T>;
  create(type: ResourceType, body: object): Promise<unknown>;
  waitCondition(type: ResourceType, name: string, cond: string, want: Partial<Condition>, timeoutMs?: number): Promise<WithStatus>;
  close(): Promise<void>;
}

/** Builds the world: namespace, CRDs, trust policy "fleet", WasmRuntime "edge" (version 0.1.0), and a running operator. */
export async function operatorWorld(prefix: string, options: { nodeForgetAfterMs?: number; nodeImagePins?: ReadonlyMap<string, string>; requirePinnedNodeImages?: boolean } = {}): Promise<OperatorWorld> {
  const api = client();
  const ns = await createTestNamespace(prefix);
  await installCrds(api, KINDS.map((k) => crdFor(k)));
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const registry = harness().registry.host;
  const repo = uniqueName(`${prefix}-module`);
  let store: ArtifactStore | undefined;
  const nodes: SimulatedNode[] = [];

  await api.request({
    method: 'POST',
    path: `/api/v1/namespaces/${ns.name}/configmaps`,
    body: { metadata: { name: 'fleet' }, data: { 'policy.json': JSON.stringify({ keys: [publicKeyPem(key)], identities: [] }) } },
  });
  const create = (type: ResourceType, body: object) =>
    api.request({ method: 'POST', path: resourcePath(type, { namespace: ns.name }), body: { apiVersion: 'flotilla.dev/v1alpha1', kind: type.kind, ...body } });
  await create(WASM_RUNTIME_TYPE, { metadata: { name: 'edge' }, spec: { version: '0.1.0', trustPolicyRef: { name: 'fleet' } } });

  const start = () =>
    startOperator({
      kubeConfig: kubeConfig(),
      namespace: ns.name,
      watchNamespace: ns.name,
      identity: uniqueName('operator'),
      leaderElection: true,
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 250,
      listen: { host: '127.0.0.1', port: 0 },
      log: quietLog,
      nodeImage: 'flotilla/node-runtime',
      nodeForgetAfterMs: options.nodeForgetAfterMs,
      ...(options.nodeImagePins ? { nodeImagePins: options.nodeImagePins } : {}),
      ...(options.requirePinnedNodeImages !== undefined ? { requirePinnedNodeImages: options.requirePinnedNodeImages } : {}),
    });
  const get = <T extends KubeObject = WithStatus>(type: ResourceType, name: string) => api.request<T>({ method: 'GET', path: resourcePath(type, { namespace: ns.name, name }) });

  const world: OperatorWorld = {
    ns,
    api,
    key,
    nodes,
    operator: await start(),
    startOperator: start,
    async pushModule(tag, signWith) {
      store ??= await openStore(parseReference(`${registry}/${repo}:init`));
      const digest = await pushWasmArtifact(store, buildWasmArtifact({ wasm: wasmModule(`${tag}-${repo}`), created: new Date(0) }), { tag });
      const signer = signWith === undefined ? key : signWith;
      if (signer) await signArtifact(store, digest, { key: signer, repository: `${registry}/${repo}` });
      return `${registry}/${repo}@${digest}`;
    },
    async addNode(node, opts = {}) {
      const n = await simulatedNode({ namespace: ns.name, runtime: 'edge', node, ...opts });
      nodes.push(n);
      return n;
    },
    get,
    create,
    waitCondition: (type, name, cond, want, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          const obj = await get(type, name);
          const c = condition(obj, cond);
          return c && Object.entries(want).every(([k, v]) => (c as Record<string, unknown>)[k] === v) ? obj : undefined;
        },
        { what: `${type.kind} ${name} ${cond}=${JSON.stringify(want)}`, timeoutMs, describe: async () => JSON.stringify((await get(type, name)).status, null, 1) },
      ),
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
      await world.operator.stop();
      await ns.delete();
    },
  };
  return world;
}
