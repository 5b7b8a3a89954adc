/**
 * Pieces the node runtime integration tests share: a node started on a manifest directory and ready,
 * a desired-state source the test drives with NodeAssignments (standing in for the operator's
 * ConfigMap), and one sample read from a node's /metrics.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { NodeAssignment } from '../../../api/index.ts';
import { desiredStateFromAssignment } from '../../../node-runtime/cluster/from-assignment.ts';
import { startNode } from '../../../node-runtime/node.ts';
import type { NodeOptions, RunningNode } from '../../../node-runtime/node.ts';
import type { DesiredState } from '../../../node-runtime/resolve/desired-state.ts';
import { ManifestDirSource } from '../../../node-runtime/standalone/manifest-dir-source.ts';
import { waitFor } from '../../harness/index.ts';
import { request } from '../../../devenv/fixtures/http-client.ts';

/**
 * A node serving the manifests in `manifests`, modules from the OCI layouts under `store`, trusting
 * `trustedPem`, caching in `<work>/cache`; resolves once /readyz says every module is loaded.
 */
export async function startManifestNode(o: { work: string; manifests: string; store: string; trustedPem: string } & Partial<NodeOptions>): Promise<RunningNode> {
  const { work, manifests, store, trustedPem, ...overrides } = o;
  const node = await startNode({
    source: new ManifestDirSource(manifests, pino({ level: 'silent' })),
    logger: pino({ level: 'silent' }),
    port: 0,
    cacheDir: join(work, 'cache'),
    trust: { keys: [trustedPem], identities: [] },
    pull: { localStore: store },
    workers: 2,
    ...overrides,
  });
  await waitFor(async () => ((await request(node.adminUrl, '/readyz')).status === 200 ? true : undefined), { timeoutMs: 60_000, what: 'node ready' });
  return node;
}

/** An assignment source the test drives, standing in for the operator's ConfigMap. */
export class DrivenAssignments {
  private apply: ((s: DesiredState) => void) | undefined;
  start(apply: (s: DesiredState) => void): Promise<void> {
    this.apply = apply;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  set(a: NodeAssignment): void {
    const { state, issues } = desiredStateFromAssignment(a);
    expect(issues).toEqual([]);
    if (!this.apply) throw new Error('DrivenAssignments.set before the node started');
    this.apply(state);
  }
}

/** The value of `name`'s sample whose labels include `labels` in a node's /metrics (at its admin URL), undefined when it has none. */
export async function metricSample(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = (await request(adminUrl, '/metrics')).body;
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}
