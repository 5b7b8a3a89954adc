/**
 * Feeds a node runtime in standalone mode from its cluster: the Flotilla objects the API server
 * holds (what Argo CD synced from Git) are written, status stripped, into the manifest directory the
 * node watches, each WasmFunction only once the operator verified it (gateFunctions). This stands in
 * for the node runtime's cluster mode (`flotilla node --cluster`: Lease + assignment ConfigMap,
 * api/node-contract.ts), written before that mode landed; the path a commit takes (Git -> Argo CD ->
 * API server -> operator verdict -> node) is the real one. Moving the local fleet to --cluster
 * retires this file and node-membership.ts.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { GROUP, KINDS, VERSION } from '../../api/index.ts';

export type MirroredObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
  status?: { observedGeneration?: number; conditions?: readonly { type: string; status: string }[] };
};

/**
 * The operator's verdict as the gate: a WasmFunction reaches the nodes only at a generation whose
 * module the operator verified (SignatureVerified=True for that generation); until then the last
 * verified version stays (`lastGood`, updated here). The nodes verify again before executing.
 */
export function gateFunctions(objects: readonly MirroredObject[], lastGood: Map<string, MirroredObject>): MirroredObject[] {
  const out: MirroredObject[] = [];
  for (const o of objects) {
    if (o.kind !== 'WasmFunction') {
      out.push(o);
      continue;
    }
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const verified = o.status?.observedGeneration === o.metadata.generation && o.status?.conditions?.some((c) => c.type === 'SignatureVerified' && c.status === 'True') === true;
    if (verified) lastGood.set(key, o);
    const good = lastGood.get(key);
    if (good) out.push(good);
  }
  // Deleted functions leave with their object.
  for (const key of [...lastGood.keys()]) if (!objects.some((o) => o.kind === 'WasmFunction' && `${o.metadata.namespace ?? ''}/${o.metadata.name}` === key)) lastGood.delete(key);
  return out;
}

/** The objects as the node should see them: spec and identity only, one file each. */
export function mirrorFiles(objects: readonly MirroredObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of objects) {
    const clean = { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace, ...(o.metadata.labels ? { labels: o.metadata.labels } : {}) }, spec: o.spec };
    out.set(`${o.kind.toLowerCase()}_${o.metadata.namespace ?? 'cluster'}_${o.metadata.name}.yaml`, stringify(clean, { sortMapEntries: true }));
  }
  return out;
}

export interface Mirror {
  /** One pass: list, then write what changed and remove what is gone. */
  sync(): Promise<void>;
  stop(): void;
}

/** Mirrors the cluster of `kc` into each of `dirs` every `intervalMs`. */
export function startMirror(kc: KubeConfig, dirs: readonly string[], opts: { intervalMs: number; onError: (err: unknown) => void }): Mirror {
  const api = kc.makeApiClient(CustomObjectsApi);
  const written = new Map<string, string>();
  const lastGood = new Map<string, MirroredObject>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // One pass at a time: the loop and an explicit sync() would otherwise race on the same temp files.
  let inflight: Promise<void> | undefined;
  const sync = (): Promise<void> => (inflight ??= pass().finally(() => (inflight = undefined)));
  const pass = async (): Promise<void> => {
    const objects: MirroredObject[] = [];
    for (const def of Object.values(KINDS)) {
      const list = (await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: def.plural })) as { items: MirroredObject[] };
      objects.push(...list.items.map((o) => ({ ...o, apiVersion: `${GROUP}/${VERSION}`, kind: def.kind })));
    }
    const files = mirrorFiles(gateFunctions(objects, lastGood));
    for (const dir of dirs) {
      await mkdir(dir, { recursive: true });
      for (const [name, content] of files) {
        const key = join(dir, name);
        if (written.get(key) === content) continue;
        // Temp name then rename: the node's watcher never reads half a file.
        await writeFile(`${key}.tmp`, content);
        await rename(`${key}.tmp`, key);
        written.set(key, content);
      }
      for (const name of await readdir(dir)) {
        if (name.endsWith('.yaml') && !files.has(name)) {
          await rm(join(dir, name), { force: true });
          written.delete(join(dir, name));
        }
      }
    }
  };
  const loop = (): void => {
    if (stopped) return;
    sync()
      .catch(opts.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, opts.intervalMs);
      });
  };
  loop();
  return {
    sync,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
