/**
 * What a user writes for one function: module, limits, grants, scaling, an HTTP route (optionally
 * with a canary), cron and event triggers. Produces consistent WasmFunction, FunctionRoute and
 * FunctionTrigger objects (and a WasmRuntime when the app brings its own pool).
 */
import { Construct } from 'constructs';
import { BROKER_TRIGGER_TYPES } from '../api/index.ts';
import type { BrokerTriggerType } from '../api/index.ts';
import { ConstructError } from './errors.ts';
import { FunctionRoute } from './function-route.ts';
import type { FunctionRouteProps } from './function-route.ts';
import { FunctionTrigger } from './function-trigger.ts';
import type { FunctionTriggerProps, SourceSettings, TriggerSource } from './function-trigger.ts';
import { WasmFunction } from './wasm-function.ts';
import type { IWasmFunction, WasmFunctionProps } from './wasm-function.ts';
import { WasmRuntime } from './wasm-runtime.ts';
import type { IWasmRuntime, WasmRuntimeProps } from './wasm-runtime.ts';

/** The HTTP face of the app. */
export interface HttpProps extends Omit<FunctionRouteProps, 'backends' | 'name'> {
  /** A second module taking `weight` percent of the traffic.
   * @default no canary */
  readonly canary?: { readonly module: string; readonly weight: number };
}

/** Delivery settings shared by every event trigger of the app. */
type Delivery = Pick<FunctionTriggerProps, 'retry' | 'deadLetter' | 'concurrency' | 'filters' | 'next'>;

/** A broker source (NATS JetStream, MQTT): its settings under its kind's name, e.g. `{ nats: {...} }`. */
export type EventSource = { [T in BrokerTriggerType]: { readonly [K in T]: SourceSettings[T] } & Delivery }[BrokerTriggerType];

export interface FunctionAppProps extends Omit<WasmFunctionProps, 'name' | 'runtimeClass'> {
  /** The pool that runs the app: an existing one, or props for a dedicated pool named after the app.
   * @default the pool named "default" */
  readonly runtime?: IWasmRuntime | WasmRuntimeProps;
  /** Serve the function over HTTP.
   * @default not served over HTTP */
  readonly http?: HttpProps;
  /** Cron schedules (five-field or @daily-style).
   * @default [] */
  readonly schedules?: readonly string[];
  /** Event sources.
   * @default [] */
  readonly events?: readonly EventSource[];
  /** Functions receiving this function's output after each cron or event invocation.
   * @default [] */
  readonly next?: readonly IWasmFunction[];
}

/** One function with its route and triggers. The construct id is the function's name. */
export class FunctionApp extends Construct implements IWasmFunction {
  readonly name: string;
  readonly function: WasmFunction;
  readonly canary?: WasmFunction;
  readonly route?: FunctionRoute;
  readonly triggers: readonly FunctionTrigger[];
  readonly runtime: IWasmRuntime;

  constructor(scope: Construct, id: string, props: FunctionAppProps) {
    super(scope, id);
    this.name = id;
    const { runtime, http, schedules = [], events = [], next = [], ...fn } = props;
    this.runtime = runtime === undefined ? { name: 'default' } : 'version' in runtime ? new WasmRuntime(this, 'Runtime', { ...runtime, name: id }) : runtime;
    this.function = new WasmFunction(this, 'Function', { ...fn, name: id, runtimeClass: this.runtime.name });

    const triggers: FunctionTrigger[] = [];
    if (http !== undefined) {
      const { canary, ...route } = http;
      const backends: { function: IWasmFunction; weight: number }[] = [{ function: this.function, weight: 100 }];
      if (canary !== undefined) {
        if (!(canary.weight > 0 && canary.weight < 100)) {
          throw new ConstructError('InvalidProps', `FunctionApp "${id}" http.canary.weight: expected 1..99 percent, got ${canary.weight}`);
        }
        this.canary = new WasmFunction(this, 'Canary', { ...fn, module: canary.module, name: `${id}-canary`, runtimeClass: this.runtime.name });
        backends[0] = { function: this.function, weight: 100 - canary.weight };
        backends.push({ function: this.canary, weight: canary.weight });
      }
      this.route = new FunctionRoute(this, 'Route', { ...route, name: id, backends });
      for (const b of backends) {
        triggers.push(new FunctionTrigger(this, `Http-${b.function.name}`, { name: `${b.function.name}-http`, function: b.function, source: { type: 'http', http: { routeRef: id } } }));
      }
    }
    schedules.forEach((schedule, i) => {
      triggers.push(new FunctionTrigger(this, `Cron${i}`, { name: `${id}-cron-${i}`, function: this.function, source: { type: 'cron', cron: { schedule } }, next }));
    });
    events.forEach((e, i) => {
      const type = BROKER_TRIGGER_TYPES.find((t) => t in e);
      if (type === undefined) throw new ConstructError('InvalidProps', `FunctionApp "${id}" events[${i}]: expected one of ${BROKER_TRIGGER_TYPES.join(', ')}, got ${Object.keys(e).join(', ') || 'none'}`);
      const { [type]: settings, ...delivery } = e as EventSource & Record<BrokerTriggerType, unknown>;
      const source = { type, [type]: settings } as TriggerSource;
      triggers.push(new FunctionTrigger(this, `Event${i}`, { name: `${id}-${type}-${i}`, function: this.function, source, next, ...delivery }));
    });
    this.triggers = triggers;
  }
}
