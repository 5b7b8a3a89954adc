import type { Logger } from 'pino';
import { sleep } from './clock.ts';
import type { Clock } from './clock.ts';
import { microTime } from './events.ts';
import type { KubeClient } from './kube-client.ts';
import { LEASE_TYPE } from './lease.ts';
import type { Lease, LeaseSpec } from './lease.ts';
import { resourcePath } from './resource.ts';

/** A Lease record and when this replica first saw it in that state (local clock, so skew between replicas does not matter). */
export interface Observation {
  readonly spec: LeaseSpec;
  readonly observedAtMs: number;
}

/** What to do with the Lease on this attempt. */
export type ElectionStep = 'Create' | 'Renew' | 'Acquire' | 'Wait';

/**
 * The election rule (client-go's): we renew our own Lease; we take a Lease nobody holds or whose
 * holder has not renewed for a full lease duration *as observed by us*; otherwise we wait.
 */
export function electionStep(identity: string, observed: Observation | undefined, nowMs: number): ElectionStep {
  if (!observed) return 'Create';
  const { holderIdentity, leaseDurationSeconds } = observed.spec;
  if (holderIdentity === identity) return 'Renew';
  if (!holderIdentity) return 'Acquire';
  const expiresAt = observed.observedAtMs + (leaseDurationSeconds ?? 0) * 1000;
  return nowMs >= expiresAt ? 'Acquire' : 'Wait';
}

/** The Lease spec to write for `step`. */
export function leaseSpecFor(step: 'Create' | 'Renew' | 'Acquire', identity: string, durationSeconds: number, nowMs: number, previous?: LeaseSpec): LeaseSpec {
  const now = microTime(nowMs);
  if (step === 'Renew' && previous) return { ...previous, holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: now };
  return {
    holderIdentity: identity,
    leaseDurationSeconds: durationSeconds,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: step === 'Create' ? 0 : (previous?.leaseTransitions ?? 0) + 1,
  };
}

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica (pod name + random suffix). */
  readonly identity: string;
  /** How long others wait after our last renew before taking over. @default 15000 */
  readonly leaseDurationMs?: number;
  /** We stop acting if we could not renew for this long; must be below leaseDurationMs so we stop before anyone else can start. @default 10000 */
  readonly renewDeadlineMs?: number;
  /** Time between attempts. @default 2000 */
  readonly retryPeriodMs?: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
}

/** Leader election on a coordination.k8s.io/v1 Lease: acquire, renew, step down on renew failure, release on stop. */
export class LeaderElector {
  private readonly client: KubeClient;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly opts: Required<LeaderElectionOptions>;
  private readonly path: string;
  private observed: Observation | undefined;
  private lastRenewMs = 0;
  private lastError: string | undefined;
  private leading = false;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(deps: { client: KubeClient; clock: Clock; log: Logger }, opts: LeaderElectionOptions) {
    this.client = deps.client;
    this.clock = deps.clock;
    this.log = deps.log;
    this.opts = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
    if (this.opts.renewDeadlineMs >= this.opts.leaseDurationMs) {
      throw new RangeError(`leader election: expected renewDeadlineMs < leaseDurationMs, got ${this.opts.renewDeadlineMs} >= ${this.opts.leaseDurationMs}`);
    }
    if (this.opts.leaseDurationMs % 1000 !== 0) {
      throw new RangeError(`leader election: expected leaseDurationMs in whole seconds (Lease stores seconds), got ${this.opts.leaseDurationMs}`);
    }
    this.path = resourcePath(LEASE_TYPE, { namespace: opts.namespace, name: opts.name });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.opts.identity;
  }

  start(callbacks: LeaderCallbacks): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(callbacks, this.abort.signal);
  }

  /** Stops campaigning; if leading, calls onStoppedLeading first, then releases the Lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(callbacks: LeaderCallbacks, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const ok = await this.tryAcquireOrRenew();
      const now = this.clock.now();
      if (ok) this.lastRenewMs = now;
      if (ok && !this.leading) {
        this.leading = true;
        this.log.info({ lease: this.opts.name, identity: this.opts.identity }, 'Became leader');
        await callbacks.onStartedLeading();
      } else if (!ok && this.leading && now - this.lastRenewMs >= this.opts.renewDeadlineMs) {
        this.leading = false;
        this.log.warn({ lease: this.opts.name, identity: this.opts.identity }, 'Lost leadership: could not renew the Lease in time');
        await callbacks.onStoppedLeading();
      }
      await sleep(this.clock, this.opts.retryPeriodMs, signal);
    }
    if (this.leading) {
      this.leading = false;
      await callbacks.onStoppedLeading();
      await this.release();
    }
  }

  /** One attempt; true when we hold the Lease afterwards. A conflict (someone else wrote first) is just false. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    try {
      const lease = await this.read();
      if (lease) this.observe(lease.spec ?? {}, now);
      else this.observed = undefined;
      const step = electionStep(this.opts.identity, this.observed, now);
      if (step === 'Wait') return false;
      const spec = leaseSpecFor(step, this.opts.identity, this.opts.leaseDurationMs / 1000, now, lease?.spec);
      const body: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.opts.name, namespace: this.opts.namespace, resourceVersion: lease?.metadata.resourceVersion },
        spec,
      };
      // PUT with the resourceVersion we read: if another replica wrote in between, this is a 409 and we lose the race cleanly.
      const written = step === 'Create'
        ? await this.client.request<Lease>({ method: 'POST', path: resourcePath(LEASE_TYPE, { namespace: this.opts.namespace }), body })
        : await this.client.request<Lease>({ method: 'PUT', path: this.path, body });
      this.observe(written.spec ?? {}, now);
      this.lastError = undefined;
      return true;
    } catch (err) {
      const message = (err as Error).message;
      // Losing a race (409) is routine; anything else (no namespace, no RBAC, no server) would
      // otherwise leave a replica silently never leading: say it once per distinct error.
      if ((err as { code?: string }).code === 'Conflict' || message === this.lastError) {
        this.log.debug({ lease: this.opts.name, err: message }, 'Lease attempt failed');
      } else {
        this.log.warn({ lease: `${this.opts.namespace}/${this.opts.name}`, err: message }, 'Cannot acquire or renew the leader Lease');
      }
      this.lastError = message;
      return false;
    }
  }

  private async read(): Promise<Lease | undefined> {
    try {
      return await this.client.request<Lease>({ method: 'GET', path: this.path });
    } catch (err) {
      if ((err as { code?: string }).code === 'NotFound') return undefined;
      throw err;
    }
  }

  /** Restarts the expiry clock only when the record changed: a holder that stopped renewing keeps its old observation. */
  private observe(spec: LeaseSpec, now: number): void {
    const prev = this.observed?.spec;
    if (prev && prev.holderIdentity === spec.holderIdentity && prev.renewTime === spec.renewTime) return;
    this.observed = { spec, observedAtMs: now };
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.read();
      if (!lease || lease.spec?.holderIdentity !== this.opts.identity) return;
      const spec: LeaseSpec = { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(this.clock.now()) };
      await this.client.request({ method: 'PUT', path: this.path, body: { ...lease, spec } });
      this.log.info({ lease: this.opts.name, identity: this.opts.identity }, 'Released leadership');
    } catch (err) {
      this.log.warn({ lease: this.opts.name, err: (err as Error).message }, 'Could not release the Lease; standbys take over after it expires');
    }
  }
}
