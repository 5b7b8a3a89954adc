// Least privilege on the real kube-apiserver: each identity gets exactly the RBAC rendered from its
// declared calls (api/rbac.ts) and the node Lease admission policy (api/node-lease-policy.ts), and
// talks with a real ServiceAccount token minted by TokenRequest (pod-bound for a node in a pod,
// node-bound for a node runtime outside a pod, unbound for the operator and the CLI). Each declared
// call passes; each call not declared is refused with 403 and the API server's reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { KINDS, NODE_LEASE_POLICY, NODE_NAME_EXTRA, OPERATOR_CALLS, STATUS_CALLS, crdFor, microTime, nodeCalls, nodeLease, nodeLeasePolicy, nodeLeasePolicyBinding, nodeRuntimeName, rulesFor } from '../../../api/index.ts';
import { createKubeClient, KubeApiError, LEASE_TYPE, resourcePath } from '../../../kube/index.ts';
import type { KubeClient } from '../../../kube/index.ts';
import type { KubeRequest } from '../../../kube/kube-client.ts';
import { LeaseTickClaims } from '../../../node-runtime/triggers/cron/lease-claims.ts';
import { createTestNamespace, harness, kubeConfig, kubectl, uniqueName } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';

const POOL = 'pool';
const SA = nodeRuntimeName(POOL);
const PULL_SECRET = 'pull-a';
const admin = () => createKubeClient(kubeConfig());
const k = (args: readonly string[], input?: string) => kubectl(harness().kube.kubeconfig, args, input);
const RBAC = '/apis/rbac.authorization.k8s.io/v1';

let ns: TestNamespace;
let sys: TestNamespace;
const n1 = uniqueName('rbac-n1');
const n2 = uniqueName('rbac-n2');
const clusterNames = { operator: uniqueName('rbac-operator'), status: uniqueName('rbac-status'), policyBinding: uniqueName(NODE_LEASE_POLICY) };
const clients: Record<'operator' | 'status' | 'nodeInPod' | 'nodeOutsidePod' | 'nodeUnbound', KubeClient> = {} as never;

/** A client that authenticates with `token` only (no admin credential anywhere in it). */
function tokenClient(token: string): KubeClient {
  const kc = new KubeConfig();
  const { server, caFile } = harness().kube;
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caFile }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return createKubeClient(kc);
}

async function mint(namespace: string, sa: string, bound?: { kind: 'Pod' | 'Node'; name: string; uid: string }): Promise<string> {
  const res = await admin().request<{ status: { token: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600, ...(bound ? { boundObjectRef: { apiVersion: 'v1', ...bound } } : {}) } },
  });
  return res.status.token;
}

const create = (path: string, body: unknown) => admin().request<{ metadata: { uid: string } }>({ method: 'POST', path, body });
const bind = (kind: 'ClusterRole' | 'Role', name: string, namespace: string, sa: string, where?: string) =>
  create(where ? `${RBAC}/namespaces/${where}/rolebindings` : `${RBAC}/clusterrolebindings`, { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace }] });

/** The error of a call, or undefined when it passed; waits out 429 "storage is (re)initializing", which other suites' CRD applies cause on the shared API server. */
async function outcome(client: KubeClient, req: KubeRequest): Promise<Error | undefined> {
  for (let tries = 0; ; tries++) {
    const err = await client.request(req).then(() => undefined, (e: unknown) => e as Error);
    if (!(err instanceof KubeApiError && err.status === 429) || tries >= 60) return err;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function allowed(client: KubeClient, req: KubeRequest): Promise<void> {
  const err = await outcome(client, req);
  // Allowed means authorized and admitted: a 404 for an object that is not there still passed RBAC.
  if (err instanceof KubeApiError && err.status === 404) return;
  expect(err?.message, `${req.method} ${req.path}`).toBeUndefined();
}

async function refused(client: KubeClient, req: KubeRequest, reason: RegExp): Promise<void> {
  const err = await outcome(client, req);
  expect(err, `${req.method} ${req.path} should be refused`).toBeInstanceOf(KubeApiError);
  expect((err as KubeApiError).status, err?.message).toBe(403);
  expect(err?.message).toMatch(reason);
}

const leasePath = (namespace: string, name?: string) => resourcePath(LEASE_TYPE, { namespace, name });
const nodeLeaseOf = (node: string, labels?: { node?: string; runtime?: string }) => {
  const lease = nodeLease({ namespace: ns.name, runtime: POOL, node, holder: `${node}-pod`, leaseDurationSeconds: 10, nowMs: Date.now() });
  return { ...lease, metadata: { ...lease.metadata, labels: { 'flotilla.dev/runtime': labels?.runtime ?? POOL, 'flotilla.dev/node': labels?.node ?? node } } };
};
/** The node's heartbeat exactly as node-runtime/cluster/agent.ts sends it (server-side apply). */
const heartbeat = (node: string, labels?: { node?: string; runtime?: string }): KubeRequest => ({
  method: 'PATCH',
  path: leasePath(ns.name, nodeLeaseOf(node).metadata.name),
  query: { fieldManager: 'flotilla-node', force: true },
  body: nodeLeaseOf(node, labels),
  contentType: 'application/apply-patch+yaml',
});

beforeAll(async () => {
  await k(['apply', '--server-side', '--force-conflicts', '--field-manager=flotilla-rbac-test', '-f', '-'], KINDS.map((d) => JSON.stringify(crdFor(d))).join('\n---\n'));
  await k(['wait', '--for=condition=Established', '--timeout=60s', ...KINDS.map((d) => `crd/${d.plural}.flotilla.dev`)]);
  ns = await createTestNamespace('rbac');
  sys = await createTestNamespace('rbac-sys');
  for (const [namespace, sa] of [[sys.name, 'flotilla-operator'], [ns.name, SA], [ns.name, 'cli']] as const) await create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: sa } });
  await create(`/api/v1/namespaces/${ns.name}/secrets`, { metadata: { name: PULL_SECRET }, type: 'Opaque', data: {} });
  await create(`/api/v1/namespaces/${ns.name}/secrets`, { metadata: { name: 'tenant-secret' }, type: 'Opaque', data: {} });

  // Exactly what is rendered: the ClusterRoles of constructs/system.ts and the pool Role of operator/wasm-runtime/objects.ts.
  await create(`${RBAC}/clusterroles`, { metadata: { name: clusterNames.operator }, rules: rulesFor(OPERATOR_CALLS) });
  await bind('ClusterRole', clusterNames.operator, sys.name, 'flotilla-operator');
  await create(`${RBAC}/clusterroles`, { metadata: { name: clusterNames.status }, rules: rulesFor(STATUS_CALLS) });
  await bind('ClusterRole', clusterNames.status, ns.name, 'cli');
  await create(`${RBAC}/namespaces/${ns.name}/roles`, { metadata: { name: SA }, rules: rulesFor(nodeCalls([PULL_SECRET])) });
  await bind('Role', SA, ns.name, SA, ns.name);

  // The policy as rendered; its binding narrowed to this test's namespace (the API server is shared by the run).
  await k(['apply', '--server-side', '--force-conflicts', '--field-manager=flotilla-rbac-test', '-f', '-'], JSON.stringify(nodeLeasePolicy()));
  const binding = nodeLeasePolicyBinding();
  await create('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', {
    ...binding,
    metadata: { name: clusterNames.policyBinding },
    spec: { ...binding.spec, matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } } } },
  });

  // Node n1 runs the pool's pod (bound token, as the kubelet projects it); n2 is a node runtime outside a pod (token bound to its Node).
  await create('/api/v1/nodes', { metadata: { name: n1 } });
  const node2 = await create('/api/v1/nodes', { metadata: { name: n2 } });
  const pod = await create(`/api/v1/namespaces/${ns.name}/pods`, { metadata: { name: 'node-runtime' }, spec: { serviceAccountName: SA, nodeName: n1, containers: [{ name: 'c', image: 'example.invalid/none' }] } });
  clients.operator = tokenClient(await mint(sys.name, 'flotilla-operator'));
  clients.status = tokenClient(await mint(ns.name, 'cli'));
  clients.nodeInPod = tokenClient(await mint(ns.name, SA, { kind: 'Pod', name: 'node-runtime', uid: pod.metadata.uid }));
  clients.nodeOutsidePod = tokenClient(await mint(ns.name, SA, { kind: 'Node', name: n2, uid: node2.metadata.uid }));
  clients.nodeUnbound = tokenClient(await mint(ns.name, SA));
  // RBAC and admission bindings take effect within a second or so; the first assertions poll through that.
  await waitAuthorized();
}, 180_000);

/** Until the API server's caches hold the new bindings (a fresh binding can take a moment). */
async function waitAuthorized(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const errs = await Promise.all([
      // Also waits out 429 "storage is (re)initializing" of freshly established CRDs.
      outcome(clients.operator, { method: 'GET', path: '/apis/flotilla.dev/v1alpha1/wasmfunctions' }),
      outcome(clients.nodeInPod, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/configmaps` }),
      outcome(clients.nodeInPod, { method: 'POST', path: leasePath(ns.name), body: { metadata: { name: 'policy-probe' } } }),
    ]);
    // The last must be refused by the policy (not by RBAC) once the policy binding is live.
    if (errs[0] === undefined && errs[1] === undefined && errs[2]?.message.includes(NODE_LEASE_POLICY)) return;
    if (Date.now() > deadline) throw new Error(`bindings not in effect after 60 s: ${errs.map((e) => e?.message).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

afterAll(async () => {
  for (const path of [`${RBAC}/clusterroles/${clusterNames.operator}`, `${RBAC}/clusterrolebindings/${clusterNames.operator}`, `${RBAC}/clusterroles/${clusterNames.status}`, `${RBAC}/clusterrolebindings/${clusterNames.status}`, `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${clusterNames.policyBinding}`, `/api/v1/nodes/${n1}`, `/api/v1/nodes/${n2}`]) {
    await admin().request({ method: 'DELETE', path }).catch(() => undefined);
  }
  await ns?.delete();
  await sys?.delete();
}, 120_000);

describe('node identity in tokens (Kubernetes >= 1.32)', () => {
  const whoAmI = (c: KubeClient) => c.request<{ status: { userInfo: { username: string; extra?: Record<string, string[]> } } }>({ method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });

  it('a pod-bound token names the pod\'s node, a node-bound token its node, an unbound token none', async () => {
    const [inPod, outside, unbound] = await Promise.all([whoAmI(clients.nodeInPod), whoAmI(clients.nodeOutsidePod), whoAmI(clients.nodeUnbound)]);
    expect(inPod.status.userInfo.username).toBe(`system:serviceaccount:${ns.name}:${SA}`);
    expect(inPod.status.userInfo.extra?.[NODE_NAME_EXTRA]).toEqual([n1]);
    expect(outside.status.userInfo.extra?.[NODE_NAME_EXTRA]).toEqual([n2]);
    expect(unbound.status.userInfo.extra?.[NODE_NAME_EXTRA]).toBeUndefined();
  });
});

describe('the operator', () => {
  it('makes its declared calls', async () => {
    const c = clients.operator;
    await allowed(c, { method: 'GET', path: '/apis/flotilla.dev/v1alpha1/wasmfunctions' });
    await allowed(c, { method: 'GET', path: '/apis/flotilla.dev/v1alpha1/wasmruntimes' });
    await allowed(c, { method: 'GET', path: '/api/v1/nodes' });
    await allowed(c, { method: 'GET', path: resourcePath(LEASE_TYPE) });
    await allowed(c, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/secrets/${PULL_SECRET}` });
    await allowed(c, { method: 'POST', path: `/api/v1/namespaces/${ns.name}/configmaps`, body: { metadata: { name: 'assignment' } } });
    await allowed(c, { method: 'POST', path: `/apis/events.k8s.io/v1/namespaces/${ns.name}/events`, body: { metadata: { name: 'e1' }, eventTime: microTime(Date.now()), reportingController: 'flotilla.dev/operator', reportingInstance: 'x', action: 'Test', reason: 'Test', regarding: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'assignment' }, type: 'Normal' } });
    await allowed(c, { method: 'POST', path: leasePath(sys.name), body: { metadata: { name: 'flotilla-operator' } } });
    // It may write each pool's Role because it holds everything that Role grants (no escalate verb).
    await allowed(c, { method: 'POST', path: `${RBAC}/namespaces/${ns.name}/roles`, body: { metadata: { name: 'pool-b' }, rules: rulesFor(nodeCalls([PULL_SECRET])) } });
  });

  it('cannot list or watch Secrets, nor touch what it does not manage', async () => {
    const c = clients.operator;
    await refused(c, { method: 'GET', path: '/api/v1/secrets' }, /cannot list resource "secrets"/);
    await refused(c, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/secrets`, query: { watch: true } }, /cannot watch resource "secrets"/);
    await refused(c, { method: 'DELETE', path: `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmfunctions/any` }, /cannot delete resource "wasmfunctions"/);
    await refused(c, { method: 'PUT', path: `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmfunctions/any`, body: {} }, /cannot update resource "wasmfunctions"/);
    await refused(c, { method: 'DELETE', path: `/api/v1/namespaces/${ns.name}/configmaps/assignment` }, /cannot delete resource "configmaps"/);
    await refused(c, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/pods` }, /cannot list resource "pods"/);
    await refused(c, { method: 'PUT', path: `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmfunctions/any/scale`, body: {} }, /cannot update resource "wasmfunctions\/scale"/);
  });
});

describe('a node runtime', () => {
  it('heartbeats its own Lease (in a pod and outside one), claims cron ticks and reads its assignment and pull Secret', async () => {
    await allowed(clients.nodeInPod, heartbeat(n1));
    await allowed(clients.nodeInPod, heartbeat(n1));
    await allowed(clients.nodeOutsidePod, heartbeat(n2));
    // The claim code path itself, over the node's token.
    expect(await new LeaseTickClaims(clients.nodeInPod).claim(`${ns.name}/every-minute`, 60_000, n1)).toBe(true);
    expect(await new LeaseTickClaims(clients.nodeOutsidePod).claim(`${ns.name}/every-minute`, 120_000, n2)).toBe(true);
    expect(await new LeaseTickClaims(clients.nodeUnbound).claim(`${ns.name}/every-minute`, 180_000, 'any')).toBe(true);
    await allowed(clients.nodeInPod, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/configmaps`, query: { fieldSelector: `metadata.name=${SA}.${n1}` } });
    await allowed(clients.nodeInPod, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/secrets/${PULL_SECRET}` });
  });

  it('cannot renew, take over or relabel another node\'s Lease', async () => {
    const own = /flotilla-node-own-lease.*may write only its own Lease/s;
    await refused(clients.nodeInPod, heartbeat(n2), own);
    await refused(clients.nodeOutsidePod, heartbeat(n1), own);
    // Its own Lease name, but labelled as another node: the operator places by the label.
    await refused(clients.nodeInPod, heartbeat(n1, { node: n2 }), /labels flotilla.dev\/node and flotilla.dev\/runtime must be/);
    await refused(clients.nodeInPod, heartbeat(n1, { runtime: 'other-pool' }), /labels flotilla.dev\/node and flotilla.dev\/runtime must be/);
    // A token that names no node writes no node Lease at all.
    await refused(clients.nodeUnbound, heartbeat(n1), /names no node/);
    // Any other Lease (a leader Lease, another component's) is not a node's to write.
    await refused(clients.nodeInPod, { method: 'POST', path: leasePath(ns.name), body: { metadata: { name: 'flotilla-operator' } } }, /writes only its node Lease/);
  });

  it('cannot write WasmFunctions, delete Leases or read Secrets other than its pool\'s credentials', async () => {
    const c = clients.nodeInPod;
    await refused(c, { method: 'POST', path: `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmfunctions`, body: { metadata: { name: 'x' } } }, /cannot create resource "wasmfunctions"/);
    await refused(c, { method: 'PATCH', path: `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmfunctions/x`, body: {}, contentType: 'application/merge-patch+json' }, /cannot patch resource "wasmfunctions"/);
    await refused(c, { method: 'DELETE', path: leasePath(ns.name, `${SA}.${n2}`) }, /cannot delete resource "leases"/);
    await refused(c, { method: 'GET', path: resourcePath(LEASE_TYPE, { namespace: ns.name }) }, /cannot list resource "leases"/);
    await refused(c, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/secrets/tenant-secret` }, /cannot get resource "secrets"/);
    await refused(c, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/secrets` }, /cannot list resource "secrets"/);
    await refused(c, { method: 'GET', path: '/api/v1/nodes' }, /cannot list resource "nodes"/);
    await refused(c, { method: 'POST', path: `/apis/events.k8s.io/v1/namespaces/${ns.name}/events`, body: {} }, /cannot create resource "events"/);
    await refused(c, { method: 'GET', path: `/api/v1/namespaces/${sys.name}/configmaps` }, /cannot list resource "configmaps"/);
  });
});

describe('flotilla status', () => {
  it('lists WasmFunctions and WasmRuntimes (status, version) and can do nothing else', async () => {
    const c = clients.status;
    await allowed(c, { method: 'GET', path: '/apis/flotilla.dev/v1alpha1/wasmfunctions' });
    await allowed(c, { method: 'GET', path: '/apis/flotilla.dev/v1alpha1/wasmruntimes' });
    await refused(c, { method: 'DELETE', path: `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmfunctions/any` }, /cannot delete resource "wasmfunctions"/);
    await refused(c, { method: 'POST', path: `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmfunctions`, body: { metadata: { name: 'x' } } }, /cannot create resource "wasmfunctions"/);
    await refused(c, { method: 'GET', path: `/api/v1/namespaces/${ns.name}/secrets/${PULL_SECRET}` }, /cannot get resource "secrets"/);
    await refused(c, { method: 'GET', path: '/apis/flotilla.dev/v1alpha1/functionroutes' }, /cannot list resource "functionroutes"/);
    await refused(c, { method: 'DELETE', path: `/apis/flotilla.dev/v1alpha1/namespaces/${ns.name}/wasmruntimes/any` }, /cannot delete resource "wasmruntimes"/);
  });
});
