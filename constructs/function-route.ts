/** Low-level construct of a `FunctionRoute` object. */
import { Construct } from 'constructs';
import type { ApiObject } from 'cdk8s';
import type { FunctionRoute as FunctionRouteObject, FunctionRouteSpec } from '../api/index.ts';
import { compact, renderObject, validatedObject } from './flotilla-object.ts';
import type { IWasmFunction } from './wasm-function.ts';

/** A function and its share of the traffic in percent. */
export interface RouteBackend {
  readonly function: IWasmFunction;
  readonly weight: number;
}

export interface FunctionRouteProps {
  /** Host header to match. */
  readonly host: string;
  /** Weighted backends; weights sum to 100. */
  readonly backends: readonly RouteBackend[];
  /** Object name.
   * @default the construct id */
  readonly name?: string;
  /** Path prefix to match.
   * @default "/" */
  readonly pathPrefix?: string;
  /** Methods to match.
   * @default [] (every method) */
  readonly methods?: FunctionRouteSpec['methods'];
  /** Timeout of the whole request in milliseconds.
   * @default 30000 */
  readonly timeoutMs?: number;
  /** Retries of failed requests.
   * @default { attempts: 0 } */
  readonly retries?: Partial<FunctionRouteSpec['retries']>;
  /** Circuit breaker per backend.
   * @default none */
  readonly circuitBreaker?: Partial<NonNullable<FunctionRouteSpec['circuitBreaker']>>;
  /** Authentication requirement.
   * @default { type: "none" } */
  readonly auth?: Partial<FunctionRouteSpec['auth']>;
  /** Rate limit per node.
   * @default none */
  readonly rateLimit?: FunctionRouteSpec['rateLimit'];
}

/** A FunctionRoute: host, path and methods to weighted function backends. */
export class FunctionRoute extends Construct {
  readonly name: string;
  readonly spec: FunctionRouteSpec;
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: FunctionRouteProps) {
    super(scope, id);
    this.name = props.name ?? id;
    // Every other prop is a spec field of the same name; unknown ones reach the validator and are refused.
    const { name: _name, backends, ...fields } = props;
    const spec = compact({ ...fields, backends: backends.map((b) => ({ functionRef: b.function.name, weight: b.weight })) });
    this.spec = validatedObject<FunctionRouteObject>(this, 'FunctionRoute', this.name, spec).spec;
    this.apiObject = renderObject(this, 'FunctionRoute', this.name, () => spec);
  }
}
