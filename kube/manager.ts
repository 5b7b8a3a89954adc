import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { Controller } from './controller.ts';
import { Informer } from './informer.ts';
import type { InformerOptions } from './informer.ts';
import type { KubeClient } from './kube-client.ts';
import { LeaderElector } from './leader-election.ts';
import type { LeaderElectionOptions } from './leader-election.ts';
import type { ControllerMetrics } from './metrics.ts';
import type { KubeObject } from './resource.ts';

export interface ManagerDeps {
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: ControllerMetrics;
}

export interface ManagerOptions {
  /** Run controllers only while holding this Lease. Without it, this process always acts (one replica, or tests). */
  readonly leaderElection?: LeaderElectionOptions;
}

/**
 * The controller manager: owns the informers (one per resource type + scope, shared by
 * controllers), runs controllers only while leader, and shuts down in order: controllers drain,
 * the Lease is released, informers stop.
 */
export class Manager {
  private readonly deps: ManagerDeps;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Controller<KubeObject, unknown>[] = [];
  private readonly elector: LeaderElector | undefined;
  private started = false;
  private controllersRunning = false;

  constructor(deps: ManagerDeps, opts: ManagerOptions = {}) {
    this.deps = deps;
    this.elector = opts.leaderElection ? new LeaderElector(deps, opts.leaderElection) : undefined;
  }

  /** The shared informer for a type and scope, created on first use. */
  informer<T extends KubeObject>(opts: InformerOptions): Informer<T> {
    const id = `${opts.type.group}/${opts.type.plural}|${opts.namespace ?? ''}|${opts.labelSelector ?? ''}|${opts.fieldSelector ?? ''}`;
    let informer = this.informers.get(id);
    if (!informer) {
      informer = new Informer<KubeObject>(this.deps, opts);
      this.informers.set(id, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  add<T extends KubeObject, C>(controller: Controller<T, C>): void {
    this.controllers.push(controller as unknown as Controller<KubeObject, unknown>);
  }

  /** True once every informer has listed (the /readyz signal). */
  get synced(): boolean {
    return [...this.informers.values()].every((i) => i.synced);
  }

  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : this.controllersRunning;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
    if (this.elector) {
      this.elector.start({
        // Not awaited: waiting for caches must not hold up the elector's renew loop.
        onStartedLeading: () => {
          void this.startControllers();
        },
        onStoppedLeading: () => this.stopControllers(),
      });
    } else {
      void this.startControllers();
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.elector) await this.elector.stop();
    await this.stopControllers();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  private async startControllers(): Promise<void> {
    this.deps.metrics.isLeader.set(1);
    // Reconciling from a half-filled cache would delete or re-place things that merely were not listed yet.
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    if (!this.started || (this.elector && !this.elector.isLeader)) return;
    this.controllersRunning = true;
    for (const controller of this.controllers) controller.start();
    this.deps.log.info({ controllers: this.controllers.map((c) => c.name) }, 'Started controllers');
  }

  private async stopControllers(): Promise<void> {
    this.deps.metrics.isLeader.set(0);
    if (!this.controllersRunning) return;
    this.controllersRunning = false;
    await Promise.all(this.controllers.map((c) => c.stop()));
    this.deps.log.info('Stopped controllers');
  }
}
