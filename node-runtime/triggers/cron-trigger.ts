/**
 * The `cron` source: every node running the trigger keeps the schedule's timer, and at each tick
 * they race to claim it (cron/claims.ts); the one that wins runs the chain, so a schedule fires
 * once per cluster. Failed runs are retried here with the trigger's backoff (a tick has no broker
 * to redeliver it). The event: id and idempotency key "<trigger>@<tick time>", the same on every
 * node, the trigger's payload as data.
 */
import type { TriggerSection } from '../../api/index.ts';
import { attempt } from './delivery.ts';
import type { RunningTrigger, SourceHost, TriggerContext, TriggerDef, TriggerSource } from './definition.ts';
import type { TriggerEvent } from './event.ts';
import { LocalTickClaims, NatsTickClaims, type TickClaims } from './cron/claims.ts';
import { missedTick, parseSchedule } from './cron/schedule.ts';

/** setTimeout's ceiling is ~24.8 days; wake up at least daily and recompute. */
const MAX_SLEEP_MS = 24 * 3600 * 1000;

export function cronEvent(def: TriggerDef, tick: Date, attemptNo: number): TriggerEvent {
  const time = tick.toISOString();
  return {
    id: `${def.key}@${time}`,
    source: `/cron/${def.key}`,
    type: 'dev.flotilla.cron.tick',
    subject: def.key,
    time,
    dataContentType: 'text/plain',
    headers: {},
    data: new TextEncoder().encode(def.spec.cron?.payload ?? ''),
    idempotencyKey: `${def.key}@${time}`,
    attempt: attemptNo,
  };
}

export interface CronOptions {
  readonly claims: TickClaims;
  readonly now?: () => Date;
}

/** The cron source; its triggers share one way of claiming ticks (SourceHost.tickClaims). */
export function cronSource(host: SourceHost): TriggerSource<'cron'> {
  const claims = host.tickClaims ?? (host.cluster ? new NatsTickClaims(host.cluster.connection) : new LocalTickClaims());
  return { start: (def, source) => startCronTrigger(host, def, source, { claims }) };
}

async function startCronTrigger(ctx: TriggerContext, def: TriggerDef, source: TriggerSection<'cron'>, options: CronOptions): Promise<RunningTrigger> {
  const schedule = parseSchedule(source.schedule, source.timeZone);
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const running = new Set<Promise<void>>();

  const fire = async (tick: Date, late: boolean): Promise<void> => {
    let won: boolean;
    try {
      won = await options.claims.claim(def.key, tick.getTime(), ctx.nodeName);
    } catch (err) {
      ctx.logger.warn({ trigger: def.key, tick: tick.toISOString(), err: err instanceof Error ? err.message : String(err) }, 'Could not claim tick; skipped on this node');
      return;
    }
    if (!won) return;
    ctx.logger.info({ trigger: def.key, tick: tick.toISOString(), late }, 'Firing schedule');
    for (let n = 1; !stopped; n++) {
      const a = await attempt(ctx, def, cronEvent(def, tick, n));
      if (a.kind !== 'failed' || a.decision.action !== 'retry') return;
      await new Promise((r) => setTimeout(r, a.decision.action === 'retry' ? a.decision.delayMs : 0));
    }
  };

  const track = (p: Promise<void>): void => {
    running.add(p);
    void p.finally(() => running.delete(p));
  };

  const arm = (): void => {
    if (stopped) return;
    const next = schedule.next(now());
    const wait = Math.min(Math.max(0, next.getTime() - Date.now()), MAX_SLEEP_MS);
    timer = setTimeout(() => {
      if (Date.now() >= next.getTime()) track(fire(next, false));
      arm();
    }, wait);
  };

  let last: number | undefined;
  try {
    last = await options.claims.lastFired(def.key);
  } catch (err) {
    ctx.logger.warn({ trigger: def.key, err: err instanceof Error ? err.message : String(err) }, 'Could not read the last fired tick; missed runs are not caught up');
  }
  const missed = missedTick(schedule, source.missedRuns, last, now());
  if (missed) track(fire(missed, true));
  arm();
  ctx.logger.info({ trigger: def.key, schedule: source.schedule, timeZone: source.timeZone }, 'Started cron trigger');
  return {
    key: def.key,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...running]);
    },
  };
}
