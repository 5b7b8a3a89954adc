import type { OperatorContext } from './context.ts';
import { CONFIG_MAP_TYPE, FUNCTION_ROUTE_TYPE, FUNCTION_TRIGGER_TYPE, WASM_FUNCTION_TYPE, WASM_RUNTIME_TYPE } from './kinds.ts';
import type { LiveFunctionRoute, LiveFunctionTrigger, LiveWasmFunction, LiveWasmRuntime } from './kinds.ts';
import type { ConfigMap } from './nodes/assignment.ts';
import { NODE_LABEL, RUNTIME_LABEL, nodeObjectName, parseNodeLease } from '../api/index.ts';
import { endpointChangeMatters, leaseChangeMatters } from './nodes/node-lease.ts';
import { NODE_TYPE, nodeChangeMatters } from './nodes/node-labels.ts';
import type { NodeLease } from '../api/index.ts';
import { nodeKeysIn, reconcileNodeAssignment } from './nodes/reconciler.ts';
import { reconcileFunctionRoute, reconcileFunctionTrigger } from './routing/reconcilers.ts';
import { backoffErrorPolicy, Controller, getSecret, LEASE_TYPE, objectKey, watch } from '../kube/index.ts';
import type { Context, ControllerMetrics, KubeObject, Manager } from '../kube/index.ts';
import type { StoreOptions } from '../artifacts/index.ts';
import { artifactVerifier } from './wasm-function/artifact-verifier.ts';
import { reconcileWasmFunction } from './wasm-function/reconciler.ts';
import { wasmRuntimeReconciler } from './wasm-runtime/reconciler.ts';

/** Services the reconcilers need beyond the API server, injected by the entry point. */
export interface OperatorServices {
  /** How to reach module registries (credentials, insecure hosts). */
  readonly registry?: StoreOptions;
  /** Image repository of the node runtime DaemonSets (tag = WasmRuntime version). */
  readonly nodeImage: string;
  readonly nodeImagePins: ReadonlyMap<string, string>;
  readonly requirePinnedNodeImages: boolean;
  /** A node whose Lease has been expired this long is deleted from its pool. */
  readonly nodeForgetAfterMs: number;
}

export interface ControllerWiring {
  readonly namespace: string;
  /** Restricts every informer to one namespace; all namespaces when omitted. */
  readonly watchNamespace?: string;
  readonly metrics: ControllerMetrics;
  readonly services: OperatorServices;
}

/**
 * One controller per kind plus the node assignment controller, over shared informers. Secondary
 * watches map a change to the primary keys it can affect (level-based: the reconcile recomputes
 * everything from the caches, so over-enqueueing costs a cheap pass, never a wrong result).
 */
export function registerControllers(manager: Manager, base: Context, wiring: ControllerWiring): OperatorContext {
  const functions = manager.informer<LiveWasmFunction>({ type: WASM_FUNCTION_TYPE, namespace: wiring.watchNamespace });
  const runtimes = manager.informer<LiveWasmRuntime>({ type: WASM_RUNTIME_TYPE, namespace: wiring.watchNamespace });
  const routes = manager.informer<LiveFunctionRoute>({ type: FUNCTION_ROUTE_TYPE, namespace: wiring.watchNamespace });
  const triggers = manager.informer<LiveFunctionTrigger>({ type: FUNCTION_TRIGGER_TYPE, namespace: wiring.watchNamespace });
  const nodeLeases = manager.informer<NodeLease & KubeObject>({ type: LEASE_TYPE, namespace: wiring.watchNamespace, labelSelector: RUNTIME_LABEL });
  // Trust policies: every ConfigMap of the operator namespace (a policy may carry no label at all).
  const policies = manager.informer<ConfigMap>({ type: CONFIG_MAP_TYPE, namespace: wiring.namespace });
  const assignments = manager.informer<ConfigMap>({ type: CONFIG_MAP_TYPE, namespace: wiring.watchNamespace, labelSelector: `${RUNTIME_LABEL},${NODE_LABEL}` });
  // Cluster-scoped: a node runtime pod's placement labels are its Node's (nodes/node-labels.ts).
  const kubeNodes = manager.informer<KubeObject>({ type: NODE_TYPE });

  const ctx: OperatorContext = {
    ...base,
    namespace: wiring.namespace,
    verifier: artifactVerifier({ policies: policies.store, namespace: wiring.namespace, registry: wiring.services.registry, secret: (namespace, name) => getSecret(base.client, namespace, name) }),
    nodeImage: wiring.services.nodeImage,
    nodeImagePins: wiring.services.nodeImagePins,
    requirePinnedNodeImages: wiring.services.requirePinnedNodeImages,
    nodeForgetAfterMs: wiring.services.nodeForgetAfterMs,
    leaseHearing: nodeLeases,
    stores: {
      functions: functions.store,
      runtimes: runtimes.store,
      routes: routes.store,
      triggers: triggers.store,
      nodeLeases: nodeLeases.store,
      assignments: assignments.store,
      nodes: kubeNodes.store,
    },
  };
  const deps = { clock: base.clock, log: base.log, metrics: wiring.metrics };
  const now = () => base.clock.now();
  // Node heartbeats are the most frequent events by far; a plain renewal changes nothing anyone computes.
  const runtimeOfLease = (lease: NodeLease & KubeObject, old?: NodeLease & KubeObject) =>
    leaseChangeMatters(lease, old, now()) ? [`${lease.metadata.namespace}/${lease.metadata.labels?.[RUNTIME_LABEL] ?? ''}`] : [];
  const functionsOfPool = (namespace: string | undefined, pool: string | undefined) =>
    functions.store.list((f) => f.metadata.namespace === namespace && f.spec.runtimeClass === pool).map((f) => objectKey(f));
  const allNodesInNamespace = (obj: KubeObject) => nodeKeysIn(ctx, obj.metadata.namespace);
  /** The node Leases of the runtimes on a Node whose labels or cordon changed (a status update, the most frequent Node event, changes nothing placement reads). */
  const leasesOnNode = (node: KubeObject, old?: KubeObject) =>
    nodeChangeMatters(node, old) ? nodeLeases.store.list((l) => l.metadata.labels?.[NODE_LABEL] === node.metadata.name) : [];
  const sameNamespace = <T extends KubeObject>(store: { list(f: (o: T) => boolean): T[] }) => (obj: KubeObject) =>
    store.list((o) => o.metadata.namespace === obj.metadata.namespace).map((o) => objectKey(o));
  const errorPolicy = backoffErrorPolicy<unknown, OperatorContext>();

  manager.add(
    new Controller<LiveWasmRuntime, OperatorContext>(
      { name: 'wasmruntime', informer: runtimes, reconcile: wasmRuntimeReconciler(), errorPolicy, watches: [watch(nodeLeases, runtimeOfLease)] },
      ctx,
      deps,
    ),
  );
  manager.add(
    new Controller<LiveWasmFunction, OperatorContext>(
      {
        name: 'wasmfunction',
        informer: functions,
        reconcile: reconcileWasmFunction,
        errorPolicy,
        // One at a time: placement reads other functions' status.nodes for node load.
        concurrency: 1,
        watches: [
          watch(runtimes, (rt) => functionsOfPool(rt.metadata.namespace, rt.metadata.name)),
          watch(nodeLeases, (lease, old) => (leaseChangeMatters(lease, old, now()) ? functionsOfPool(lease.metadata.namespace, lease.metadata.labels?.[RUNTIME_LABEL]) : [])),
          watch(kubeNodes, (node, old) => leasesOnNode(node, old).flatMap((l) => functionsOfPool(l.metadata.namespace, l.metadata.labels?.[RUNTIME_LABEL]))),
          // A policy edit (a revoked key) re-verifies every function of the pools that use it.
          watch(policies, (cm) =>
            functions.store
              .list((f) => runtimes.store.get(`${f.metadata.namespace}/${f.spec.runtimeClass}`)?.spec.trustPolicyRef.name === cm.metadata.name)
              .map((f) => objectKey(f)),
          ),
        ],
      },
      ctx,
      deps,
    ),
  );
  manager.add(
    new Controller<NodeLease & KubeObject, OperatorContext>(
      {
        name: 'nodeassignment',
        informer: nodeLeases,
        reconcile: reconcileNodeAssignment,
        errorPolicy,
        watches: [
          watch(functions, allNodesInNamespace),
          watch(routes, allNodesInNamespace),
          watch(triggers, allNodesInNamespace),
          watch(runtimes, allNodesInNamespace),
          // Every node forwards to the others' endpoints (remote functions).
          watch(nodeLeases, (lease, old) => (endpointChangeMatters(lease, old, now()) ? allNodesInNamespace(lease) : [])),
          watch(assignments, (cm) => [`${cm.metadata.namespace}/${nodeObjectName(cm.metadata.labels?.[RUNTIME_LABEL] ?? '', cm.metadata.labels?.[NODE_LABEL] ?? '')}`]),
          // Dormant functions follow their nodeSelector onto a relabelled node.
          watch(kubeNodes, (node, old) => leasesOnNode(node, old).map((l) => objectKey(l))),
        ],
      },
      ctx,
      deps,
    ),
  );
  manager.add(
    new Controller<LiveFunctionRoute, OperatorContext>(
      { name: 'functionroute', informer: routes, reconcile: reconcileFunctionRoute, errorPolicy, watches: [
          watch(functions, sameNamespace(routes.store)),
          watch(routes, (o) => routes.store.list().filter((r) => objectKey(r) !== objectKey(o)).map((r) => objectKey(r))),
          // A node reporting routes it refuses (auth it cannot enforce): those routes; one it stops naming is seen by the route's requeue.
          watch(nodeLeases, (l) => Object.keys(parseNodeLease(l, Date.now()).routes ?? {})),
        ] },
      ctx,
      deps,
    ),
  );
  manager.add(
    new Controller<LiveFunctionTrigger, OperatorContext>(
      { name: 'functiontrigger', informer: triggers, reconcile: reconcileFunctionTrigger, errorPolicy, watches: [watch(functions, sameNamespace(triggers.store)), watch(triggers, sameNamespace(triggers.store))] },
      ctx,
      deps,
    ),
  );
  return ctx;
}
