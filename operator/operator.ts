import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { startHealthServer } from './health-server.ts';
import { registerControllers } from './controllers.ts';
import { createControllerMetrics, createEventRecorder, createKubeClient, Manager, systemClock } from '../kube/index.ts';
import type { Clock, Context } from '../kube/index.ts';
import type { StoreOptions } from '../artifacts/index.ts';
import type { AuditLog } from '../api/index.ts';
import { audited } from './audit.ts';

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** Where the operator keeps its own objects: the leader Lease and the trust policy ConfigMaps. */
  readonly namespace: string;
  /** Watch only this namespace (a namespace-scoped install, or a test); all namespaces when omitted. */
  readonly watchNamespace?: string;
  /** This replica's name in the leader Lease and in Events. */
  readonly identity: string;
  /** Compete for the leader Lease; off only for a single replica (development, tests). */
  readonly leaderElection: boolean;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly listen: { readonly host: string; readonly port: number };
  readonly log: Logger;
  readonly clock?: Clock;
  /** Image repository of node runtime DaemonSets; the tag is each WasmRuntime's version unless pinned. */
  readonly nodeImage: string;
  /** Node runtime version -> image pinned by digest: what a pool of that version runs. */
  readonly nodeImagePins?: ReadonlyMap<string, string>;
  /** Refuse to roll a pool whose version has no pinned image (never run a mutable tag). */
  readonly requirePinnedNodeImages?: boolean;
  /** A node whose Lease has been expired this long is forgotten (Lease and assignment deleted). @default 600000 */
  readonly nodeForgetAfterMs?: number;
  /** How to reach module registries (credentials, insecure hosts). */
  readonly registry?: StoreOptions;
  /** The audit log (api/audit.ts): every Event the operator records (verifications, placements, refusals) also becomes an audit line. */
  readonly audit?: AuditLog;
}

export interface RunningOperator {
  /** Base URL of /metrics, /healthz, /readyz. */
  readonly url: string;
  readonly manager: Manager;
  /** Graceful: controllers drain, the leader Lease is released, informers and the server stop. */
  stop(): Promise<void>;
}

/** Wires the controller manager, the reconcilers and the health server, and starts them. */
export async function startOperator(opts: OperatorOptions): Promise<RunningOperator> {
  const clock = opts.clock ?? systemClock;
  const client = createKubeClient(opts.kubeConfig);
  const metrics = createControllerMetrics();
  const manager = new Manager(
    { client, clock, log: opts.log, metrics },
    opts.leaderElection
      ? {
          leaderElection: {
            namespace: opts.namespace,
            name: 'flotilla-operator',
            identity: opts.identity,
            leaseDurationMs: opts.leaseDurationMs,
            renewDeadlineMs: opts.renewDeadlineMs,
            retryPeriodMs: opts.retryPeriodMs,
          },
        }
      : {},
  );
  const ctx: Context = { client, clock, log: opts.log, recorder: audited(createEventRecorder(client, clock, opts.identity, opts.log), opts.audit) };
  // Aborted by stop(): a verification retrying a registry that is down must not hold the drain of reconciles.
  const stopping = new AbortController();
  const registry: StoreOptions = { ...opts.registry, transport: { ...opts.registry?.transport, signal: stopping.signal } };
  registerControllers(manager, ctx, { namespace: opts.namespace, watchNamespace: opts.watchNamespace, metrics, services: { nodeImage: opts.nodeImage, nodeImagePins: opts.nodeImagePins ?? new Map(), requirePinnedNodeImages: opts.requirePinnedNodeImages ?? false, registry, nodeForgetAfterMs: opts.nodeForgetAfterMs ?? 600_000 } });
  const server = await startHealthServer({ registry: metrics.registry, healthy: () => true, ready: () => manager.synced }, opts.listen.host, opts.listen.port);
  manager.start();
  return {
    url: server.url,
    manager,
    async stop() {
      stopping.abort(new Error('the operator is shutting down'));
      await manager.stop();
      await server.close();
    },
  };
}
