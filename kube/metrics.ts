import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The controller manager's Prometheus metrics, on a registry owned by the manager (no global default). */
export interface ControllerMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller' | 'reason'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly isLeader: Gauge;
}

export function createControllerMetrics(registry = new Registry()): ControllerMetrics {
  return {
    registry,
    reconcileTotal: new Counter({
      name: 'flotilla_operator_reconcile_total',
      help: 'Reconciles run, by controller and result (success, error).',
      labelNames: ['controller', 'result'],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'flotilla_operator_reconcile_errors_total',
      help: 'Reconciles that failed, by controller and error code.',
      labelNames: ['controller', 'reason'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'flotilla_operator_reconcile_duration_seconds',
      help: 'Time spent in one reconcile, by controller.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'flotilla_operator_workqueue_depth',
      help: 'Keys waiting to be reconciled now, by controller.',
      labelNames: ['controller'],
      registers: [registry],
    }),
    isLeader: new Gauge({
      name: 'flotilla_operator_leader',
      help: '1 while this replica holds the leader Lease.',
      registers: [registry],
    }),
  };
}
