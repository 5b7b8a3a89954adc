/** Low-level construct of a `FunctionTrigger` object. */
import { Construct } from 'constructs';
import type { ApiObject } from 'cdk8s';
import type { FunctionTrigger as FunctionTriggerObject, FunctionTriggerSpec, TriggerSection, TriggerType } from '../api/index.ts';
import { compact, renderObject, validatedObject } from './flotilla-object.ts';
import type { IWasmFunction } from './wasm-function.ts';

/** `S` with the fields the schema defaults left optional. */
type Defaulted<S, K extends keyof S> = Omit<S, K> & Partial<Pick<S, K>>;

/** Each kind's source block as a construct takes it: a kind missing here is a type error. */
export interface SourceSettings {
  readonly cron: Defaulted<TriggerSection<'cron'>, 'timeZone' | 'payload' | 'missedRuns'>;
  readonly nats: TriggerSection<'nats'>;
  readonly mqtt: Defaulted<TriggerSection<'mqtt'>, 'qos'>;
  readonly http: TriggerSection<'http'>;
}

/** The event source: exactly one of the API's source blocks, tagged by type. */
export type TriggerSource = { [T in TriggerType]: { readonly type: T } & { readonly [K in T]: SourceSettings[T] } }[TriggerType];

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
