import type { ConfigMap } from './nodes/assignment.ts';
import type { NodeLease } from '../api/index.ts';
import type { LiveFunctionRoute, LiveFunctionTrigger, LiveWasmFunction, LiveWasmRuntime } from './kinds.ts';
import type { Context, KubeObject, Store } from '../kube/index.ts';
import type { ModuleVerifier } from './wasm-function/verification.ts';
import type { LeaseHearing } from './wasm-runtime/lease-grace.ts';

/** The caches every reconciler reads (never the API server) to see the rest of the world. */
export interface OperatorStores {
  readonly functions: Store<LiveWasmFunction>;
  readonly runtimes: Store<LiveWasmRuntime>;
  readonly routes: Store<LiveFunctionRoute>;
  readonly triggers: Store<LiveFunctionTrigger>;
  readonly nodeLeases: Store<NodeLease>;
  readonly assignments: Store<ConfigMap>;
  /** Kubernetes Node objects: their labels are the placement labels of the node runtimes on them (nodes/node-labels.ts). */
  readonly nodes: Store<KubeObject>;
}

/** The reconcilers' Context: the runtime's plus the stores, the operator namespace and the services. */
export interface OperatorContext extends Context {
  /** Where trust policy ConfigMaps and the leader Lease live. */
  readonly namespace: string;
  readonly stores: OperatorStores;
  readonly verifier: ModuleVerifier;
  /** Image repository of the node runtime; the tag is the WasmRuntime's version unless pinned. */
  readonly nodeImage: string;
  /** Node runtime version -> image pinned by digest. */
  readonly nodeImagePins: ReadonlyMap<string, string>;
  /** A pool whose version has no pinned image gets no DaemonSet (Ready=False NodeImageNotPinned). */
  readonly requirePinnedNodeImages: boolean;
  /** A node whose Lease has been expired this long is deleted from the pool. */
  readonly nodeForgetAfterMs: number;
  /** How well node Leases are heard now (the Lease informer): no node expires while the operator cannot hear it. */
  readonly leaseHearing: LeaseHearing;
}
