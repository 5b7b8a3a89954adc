import type { Context, ControllerMetrics, Manager } from './runtime/index.ts';

/** Services the reconcilers need beyond the API server (module verification, ...), injected by the entry point. */
export type OperatorServices = Record<string, never>;

export interface ControllerWiring {
  readonly namespace: string;
  readonly metrics: ControllerMetrics;
  readonly services: OperatorServices;
}

/** Adds one controller per kind to the manager. */
export function registerControllers(manager: Manager, ctx: Context, wiring: ControllerWiring): void {
  void manager;
  void ctx;
  void wiring;
}
