/** Low-level construct of a `WasmRuntime` object (a pool of node runtimes). */
import { Construct } from 'constructs';
import type { ApiObject } from 'cdk8s';
import type { WasmRuntime as WasmRuntimeObject, WasmRuntimeSpec } from '../api/index.ts';
import { compact, renderObject, validatedObject } from './flotilla-object.ts';

type Limits = NonNullable<WasmRuntimeSpec['ceilings']>;

/** A runtime pool another construct may point at. */
export interface IWasmRuntime {
  readonly name: string;
}

export interface WasmRuntimeProps {
  /** Node runtime version the operator rolls out (semver). */
  readonly version: string;
  /** Name of the trust policy (ConfigMap in the operator namespace) modules must satisfy. */
  readonly trustPolicy: string;
  /** Object name.
   * @default the construct id */
  readonly name?: string;
  /** Engine settings.
   * @default { kind: "v8", workers: 2, stackSizeKb: 984 } */
  readonly engine?: Partial<WasmRuntimeSpec['engine']>;
  /** Largest limits a function in this pool may ask for.
   * @default no ceiling beyond the API bounds */
  readonly ceilings?: Limits;
  /** Module cache size per node in MiB.
   * @default 1024 */
  readonly cacheSizeMiB?: number;
  /** Functions one node of the pool runs at most.
   * @default 100 */
  readonly capacity?: number;
  /** The cluster's NATS (JetStream) the nodes connect to, e.g. the Service of the cluster's own NATS.
   * @default no NATS: NATS triggers and state.store nats do not load */
  readonly nats?: WasmRuntimeSpec['nats'];
  /** How clients outside the cluster reach the pool.
   * @default { type: "NodePort" }, the port chosen by the API server */
  readonly service?: WasmRuntimeSpec['service'];
  /** Node labels of the pool's nodes.
   * @default every node */
  readonly nodeSelector?: Record<string, string>;
  /** Host directories the pool's functions may preopen (capabilities.volumes), each with what is below it.
   * @default { allowed: [] }: no host paths */
  readonly hostPaths?: { readonly allowed: readonly { readonly path: string; readonly readOnly?: boolean }[] };
}

/** A WasmRuntime: engine settings, limit ceilings, host paths, cache, capacity, NATS, Service and nodes of one pool. */
export class WasmRuntime extends Construct implements IWasmRuntime {
  /** A reference to a pool declared elsewhere. */
  static fromName(_scope: Construct, _id: string, name: string): IWasmRuntime {
    return { name };
  }

  readonly name: string;
  readonly spec: WasmRuntimeSpec;
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: WasmRuntimeProps) {
    super(scope, id);
    this.name = props.name ?? id;
    // Every other prop is a spec field of the same name; unknown ones reach the validator and are refused.
    const { name: _name, trustPolicy, cacheSizeMiB, capacity, ...fields } = props;
    const spec = compact({
      ...fields,
      cache: cacheSizeMiB === undefined ? undefined : { sizeMiB: cacheSizeMiB },
      capacity: capacity === undefined ? undefined : { functions: capacity },
      trustPolicyRef: { name: trustPolicy },
    });
    this.spec = validatedObject<WasmRuntimeObject>(this, 'WasmRuntime', this.name, spec).spec;
    this.apiObject = renderObject(this, 'WasmRuntime', this.name, () => spec);
  }
}
