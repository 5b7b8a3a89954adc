/**
 * Waiting on Argo CD during `flotilla up`, failing fast when waiting cannot help: an Application
 * with a ComparisonError (it cannot fetch or render its source) or an ApplicationSet with
 * ErrorOccurred (it cannot list the repo's cluster folders) that persists for the grace period means
 * a git server that refuses, a revision that is gone or output the API server rejects. Transient
 * errors during start-up clear within seconds, so only one that lasts the grace period fails the step.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createKubeClient, loadKubeConfigFile, resourcePath } from '../../kube/index.ts';
import type { ResourceType } from '../../kube/index.ts';
import { kubectl } from '../servers/kube.ts';
import type { ArgoApp, ArgoCdApi } from './argocd-api.ts';

/** The part of an ApplicationSet read here. */
export interface ArgoAppSet {
  readonly metadata: { readonly name: string };
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status?: string; readonly message?: string }[] };
}

/** An error Argo CD reports on one poll: which object says it, and what. */
export interface ArgoError {
  readonly source: string;
  readonly message: string;
}

/** How long an error must last, without a break, before the wait gives up on it. */
export const ERROR_GRACE_MS = 20_000;

/** The errors in one picture of Argo CD (pure). */
export function argoErrors(apps: readonly ArgoApp[], appSets: readonly ArgoAppSet[]): ArgoError[] {
  return [
    ...appSets.flatMap((s) => (s.status?.conditions ?? []).filter((c) => c.type === 'ErrorOccurred' && c.status === 'True').map((c) => ({ source: `ApplicationSet ${s.metadata.name}`, message: c.message ?? '' }))),
    ...apps.flatMap((a) => (a.status?.conditions ?? []).filter((c) => c.type === 'ComparisonError').map((c) => ({ source: `Application ${a.metadata.name}`, message: c.message }))),
  ];
}

/** Remembers since when each error has been reported on every poll; one missing poll resets it. */
export class PersistentErrors {
  readonly #graceMs: number;
  #since = new Map<string, number>();

  constructor(graceMs: number) {
    this.#graceMs = graceMs;
  }

  /** Records one poll's errors at `now`; returns the first that has lasted the grace period. */
  observe(errors: readonly ArgoError[], now: number): (ArgoError & { readonly forMs: number }) | undefined {
    const next = new Map<string, number>();
    for (const e of errors) next.set(e.source, this.#since.get(e.source) ?? now);
    this.#since = next;
    for (const e of errors) {
      const forMs = now - (next.get(e.source) ?? now);
      if (forMs >= this.#graceMs) return { ...e, forMs };
    }
    return undefined;
  }
}

/** What the waits read: the Argo CD API and the management apiserver holding its ApplicationSets. */
export interface ArgoView {
  readonly api: ArgoCdApi;
  readonly kubeconfig: string;
  readonly namespace: string;
}

const APPLICATION_SET_TYPE: ResourceType = { group: 'argoproj.io', version: 'v1alpha1', kind: 'ApplicationSet', plural: 'applicationsets', namespaced: true };

async function appSets(view: ArgoView): Promise<ArgoAppSet[]> {
  const client = createKubeClient(loadKubeConfigFile(view.kubeconfig));
  const list = await client.request<{ items?: ArgoAppSet[] }>({ method: 'GET', path: resourcePath(APPLICATION_SET_TYPE, { namespace: view.namespace }) });
  return list.items ?? [];
}

function describe(apps: readonly ArgoApp[]): string {
  return apps.map((a) => `${a.metadata.name}: sync ${a.status?.sync?.status ?? '?'}, health ${a.status?.health?.status ?? '?'}, operation ${a.status?.operationState?.phase ?? '-'} ${a.status?.operationState?.message ?? ''} ${(a.status?.conditions ?? []).map((c) => `${c.type}: ${c.message}`).join('; ')}`).join('\n');
}

/** An error that outlasted the grace period: ends the poll at once, unlike a failed request. */
class StuckError extends Error {}

/** Applications not compared with the repo yet: Synced or OutOfSync both mean the comparison ran (pure). */
export function notCompared(apps: readonly ArgoApp[]): ArgoApp[] {
  return apps.filter((a) => !['Synced', 'OutOfSync'].includes(a.status?.sync?.status ?? ''));
}

/** Applications not Synced yet (pure). */
export function notSynced(apps: readonly ArgoApp[]): ArgoApp[] {
  return apps.filter((a) => a.status?.sync?.status !== 'Synced');
}

/**
 * Polls until every Application of `names` exists and `waiting(apps)` is empty; throws when an
 * error persists the grace period, or at the timeout with the last picture. Each poll asks for a
 * fresh attempt where one is pending or failed (an Application refresh, an ApplicationSet refresh
 * annotation), so an error that lasts the grace period has failed every attempt, not just the first
 * (the ApplicationSet controller would otherwise retry a failed generation only after 3 minutes).
 */
async function pollArgo(view: ArgoView, names: readonly string[], what: string, waiting: (apps: readonly ArgoApp[]) => ArgoApp[], opts: { readonly timeoutMs: number; readonly graceMs: number }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const errors = new PersistentErrors(opts.graceMs);
  let last: string;
  for (;;) {
    try {
      const [all, sets] = await Promise.all([view.api.applications(), appSets(view)]);
      const apps = all.filter((a) => names.includes(a.metadata.name));
      const stuck = errors.observe(argoErrors(apps, sets), Date.now());
      if (stuck) throw new StuckError(`${stuck.source} has reported an error for ${Math.round(stuck.forMs / 1000)} s without a break (waiting longer will not help): ${stuck.message}`);
      const pending = waiting(apps);
      if (apps.length === names.length && pending.length === 0) return;
      last = `${describe(apps)}${apps.length < names.length ? `\n(Applications so far: ${apps.map((a) => a.metadata.name).join(', ') || 'none'}; ApplicationSets: ${sets.map((s) => `${s.metadata.name} ${(s.status?.conditions ?? []).map((c) => `${c.type}=${c.status ?? '?'}`).join(',')}`).join('; ') || 'none'})` : ''}`;
      for (const a of pending) await view.api.refresh(a.metadata.name);
      for (const s of sets.filter((x) => argoErrors([], [x]).length > 0)) await kubectl(view.kubeconfig, ['annotate', '--overwrite', '-n', view.namespace, 'applicationset', s.metadata.name, 'argocd.argoproj.io/application-set-refresh=true']);
    } catch (err) {
      if (err instanceof StuckError) throw err;
      // Argo CD or the apiserver not answering yet: the timeout covers it.
      last = `last error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs / 1000} s waiting for ${what}\n${last}`);
    await sleep(2000);
  }
}

/** Waits until Argo CD has read the GitOps repo: every Application generated and compared with it. */
export function waitCompared(view: ArgoView, names: readonly string[], timeoutMs: number, graceMs = ERROR_GRACE_MS): Promise<void> {
  return pollArgo(view, names, `Applications ${names.join(', ')} to be generated and compared with the repo`, notCompared, { timeoutMs, graceMs });
}

/** Refreshes each Application through the API until all are Synced. */
export function waitSynced(view: ArgoView, names: readonly string[], timeoutMs: number, graceMs = ERROR_GRACE_MS): Promise<void> {
  return pollArgo(view, names, `Applications ${names.join(', ')} to be Synced`, notSynced, { timeoutMs, graceMs });
}
