/**
 * `flotilla status`: one row per cluster x function, joining what Argo CD says (sync of the
 * cluster's Application, health our Lua check computed for the WasmFunction) with what the operator
 * wrote into the function's status (Ready, SignatureVerified, digest, instances, nodes).
 */
import { pinnedDigest } from '../../api/index.ts';
import type { WasmFunction } from '../../api/index.ts';
import { createKubeClient, loadKubeConfigFile, resourcePath, WASM_FUNCTION_TYPE } from '../../kube/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { ArgoCdApi } from './argocd-api.ts';
import type { FleetState } from './state.ts';

export interface FunctionRow {
  readonly cluster: string;
  readonly function: string;
  /** Argo CD sync status of the cluster's Application. */
  readonly sync: string;
  /** Argo CD health of this WasmFunction (our Lua check) and its message. */
  readonly health: string;
  readonly healthMessage: string;
  /** The operator's Ready condition: status (reason). */
  readonly ready: string;
  readonly digest: string;
  readonly verified: string;
  readonly instances: string;
  readonly nodes: readonly string[];
}

function condition(fn: WasmFunction, type: string): { status: string; reason: string } | undefined {
  const c = fn.status?.conditions?.find((x) => x.type === type);
  return c ? { status: c.status, reason: c.reason } : undefined;
}

/** One cluster to read: its name in the rows, its API client, and the API server URL Argo CD may name it by. */
export interface StatusCluster {
  readonly name: string;
  readonly client: KubeClient;
  readonly server?: string;
}

/** Reads the local fleet's current picture (Argo CD API + each cluster's API server). */
export async function collectStatus(state: FleetState): Promise<FunctionRow[]> {
  const argo = state.argocd ? new ArgoCdApi(state.argocd.url, { username: state.argocd.username, password: state.argocd.password }) : undefined;
  const clusters = (state.clusters ?? []).map((c) => ({ name: c.name, client: createKubeClient(loadKubeConfigFile(c.kubeconfig)) }));
  return collectRows(clusters, argo);
}

/** One row per cluster x WasmFunction; Argo CD's sync and health where an Application targets the cluster (by name or server URL). */
export async function collectRows(clusters: readonly StatusCluster[], argo: ArgoCdApi | undefined): Promise<FunctionRow[]> {
  const apps = argo ? await argo.applications() : [];
  const rows: FunctionRow[] = [];
  for (const c of clusters) {
    const app = apps.find((a) => a.spec?.destination?.name === c.name || (c.server !== undefined && a.spec?.destination?.server === c.server));
    // Argo CD 3 keeps per-resource health in the resource tree only (not in the Application's status).
    const resources = app && argo ? (await argo.resourceTree(app.metadata.name)).filter((r) => r.kind === 'WasmFunction') : [];
    const list = await c.client.request<{ items: WasmFunction[] }>({ method: 'GET', path: resourcePath(WASM_FUNCTION_TYPE) });
    for (const fn of list.items) {
      const res = resources.find((r) => r.name === fn.metadata.name && r.namespace === fn.metadata.namespace);
      const ready = condition(fn, 'Ready');
      const verified = condition(fn, 'SignatureVerified');
      rows.push({
        cluster: c.name,
        function: `${fn.metadata.namespace ?? ''}/${fn.metadata.name}`,
        sync: app?.status?.sync?.status ?? 'Unknown',
        health: res?.health?.status ?? 'Unknown',
        healthMessage: res?.health?.message ?? '',
        ready: ready ? `${ready.status} (${ready.reason})` : 'Unknown',
        digest: fn.status?.resolvedDigest ?? pinnedDigest(fn.spec.module.ref) ?? '',
        verified: verified ? (verified.status === 'True' ? 'True' : `${verified.status} (${verified.reason})`) : 'Unknown',
        instances: `${fn.status?.readyInstances ?? 0}/${fn.status?.desiredInstances ?? 0}`,
        nodes: fn.status?.nodes ?? [],
      });
    }
  }
  return rows.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.function.localeCompare(b.function));
}
