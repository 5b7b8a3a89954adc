/** Low-level construct of a `WasmFunction` object. */
import { Construct } from 'constructs';
import type { ApiObject } from 'cdk8s';
import type { Capabilities, FunctionLimits, FunctionPlacement, FunctionScaling, FunctionState, WasmFunction as WasmFunctionObject, WasmFunctionSpec } from '../api/index.ts';
import { compact, renderObject, validatedObject } from './flotilla-object.ts';

/** A function another construct may point at (a trigger, a route backend, a chain step). */
export interface IWasmFunction {
  /** metadata.name of the WasmFunction. */
  readonly name: string;
}

export interface WasmFunctionProps {
  /** Module reference pinned by digest: `<registry>/<repository>@sha256:<64 hex>`. */
  readonly module: string;
  /** Object name (a DNS label).
   * @default the construct id */
  readonly name?: string;
  /** Limits per invocation; unset fields take the API defaults.
   * @default { memoryPages: 256, timeoutMs: 5000, concurrency: 8 } */
  readonly limits?: Partial<FunctionLimits>;
  /** Capabilities granted to the module.
   * @default none: no env, no outbound hosts, no volumes */
  readonly capabilities?: Partial<Capabilities>;
  /** Key-value state store binding.
   * @default no state store */
  readonly state?: FunctionState;
  /** Scaling bounds.
   * @default { minInstances: 1, maxInstances: 10, targetConcurrency: 8, scaleToZero: false } */
  readonly scaling?: Partial<FunctionScaling>;
  /** Node selection and spread.
   * @default any node of the runtime pool */
  readonly placement?: FunctionPlacement;
  /** Name of the WasmRuntime pool.
   * @default "default" */
  readonly runtimeClass?: string;
  /** Extra labels on the object.
   * @default {} */
  readonly labels?: Record<string, string>;
}

/** A WasmFunction: one WebAssembly module pinned by digest, with limits, grants and scaling. */
export class WasmFunction extends Construct implements IWasmFunction {
  /** A reference to a function declared elsewhere (another chart, or already in the cluster). */
  static fromName(scope: Construct, id: string, name: string): IWasmFunction {
    return new ExternalFunction(scope, id, name);
  }

  readonly name: string;
  /** The spec with every default applied, as the operator will see it. */
  readonly spec: WasmFunctionSpec;
  readonly apiObject: ApiObject;
  private readonly userSpec: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: WasmFunctionProps) {
    super(scope, id);
    this.name = props.name ?? id;
    // Every other prop is a spec field of the same name; unknown ones reach the validator and are refused.
    const { module, name: _name, labels, capabilities, ...fields } = props;
    this.userSpec = compact({ module: { ref: module }, capabilities: capabilities === undefined ? undefined : { ...capabilities }, ...fields });
    this.spec = validatedObject<WasmFunctionObject>(this, 'WasmFunction', this.name, this.userSpec, labels).spec;
    this.apiObject = renderObject(this, 'WasmFunction', this.name, () => this.userSpec, labels);
  }

  /** Adds one environment variable. */
  addEnv(name: string, value: string): void {
    const caps = (this.userSpec.capabilities ??= {}) as { env?: { name: string; value: string }[] };
    caps.env = [...(caps.env ?? []), { name, value }];
    this.revalidate();
  }

  private revalidate(): void {
    Object.assign(this.spec, validatedObject<WasmFunctionObject>(this, 'WasmFunction', this.name, this.userSpec).spec);
  }
}

/** Marks a function name as declared outside this app, so cross-object rules accept references to it. */
export class ExternalFunction extends Construct implements IWasmFunction {
  readonly name: string;
  constructor(scope: Construct, id: string, name: string) {
    super(scope, id);
    this.name = name;
  }
}
