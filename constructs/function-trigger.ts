/** Low-level construct of a `FunctionTrigger` object. */
import { Construct } from 'constructs';
import type { ApiObject } from 'cdk8s';
import type { FunctionTrigger as FunctionTriggerObject, FunctionTriggerSpec, MissedRunPolicy } from '../api/index.ts';
import { compact, renderObject, validatedObject } from './flotilla-object.ts';
import type { IWasmFunction } from './wasm-function.ts';

/** The event source: exactly one of the API's source blocks, tagged by type. */
export type TriggerSource =
  | { readonly type: 'cron'; readonly cron: { readonly schedule: string; readonly timeZone?: string; readonly payload?: string; readonly missedRuns?: MissedRunPolicy } }
  | { readonly type: 'nats'; readonly nats: NonNullable<FunctionTriggerSpec['nats']> }
  | { readonly type: 'mqtt'; readonly mqtt: { readonly url: string; readonly topic: string; readonly qos?: number } }
  | { readonly type: 'http'; readonly http: { readonly routeRef: string } };

export interface FunctionTriggerProps {
  /** The function invoked. */
  readonly function: IWasmFunction;
  /** The event source. */
  readonly source: TriggerSource;
  /** Object name.
   * @default the construct id */
  readonly name?: string;
  /** Retries of failed deliveries.
   * @default { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 30000, multiplier: 2 } } */
  readonly retry?: { readonly maxAttempts?: number; readonly backoff?: Partial<FunctionTriggerSpec['retry']['backoff']> };
  /** Subject or topic for events that failed every attempt (nats and mqtt only).
   * @default events are dropped after the last attempt */
  readonly deadLetter?: string;
  /** Events delivered at the same time.
   * @default 1 */
  readonly concurrency?: number;
  /** Header filters (nats and mqtt only).
   * @default [] (every event) */
  readonly filters?: FunctionTriggerSpec['filters'];
  /** Functions that receive the output, in order.
   * @default [] (no chaining) */
  readonly next?: readonly IWasmFunction[];
}

/** A FunctionTrigger: binds a function to cron, NATS JetStream, MQTT or HTTP. */
export class FunctionTrigger extends Construct {
  readonly name: string;
  readonly spec: FunctionTriggerSpec;
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: FunctionTriggerProps) {
    super(scope, id);
    this.name = props.name ?? id;
    // Every other prop is a spec field of the same name; unknown ones reach the validator and are refused.
    const { name: _name, function: fn, source, deadLetter, next, ...fields } = props;
    const spec = compact({
      functionRef: fn.name,
      ...source,
      ...fields,
      deadLetter: deadLetter === undefined ? undefined : { target: deadLetter },
      next: next?.map((f) => ({ functionRef: f.name })),
    });
    this.spec = validatedObject<FunctionTriggerObject>(this, 'FunctionTrigger', this.name, spec).spec;
    this.apiObject = renderObject(this, 'FunctionTrigger', this.name, () => spec);
  }
}
