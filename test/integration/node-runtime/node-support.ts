/**
 * Pieces the node runtime integration tests share: a node started on a manifest directory and ready,
 * a desired-state source the test drives with NodeAssignments (standing in for the operator's
 * ConfigMap) and their entries, and one sample read from a node's /metrics.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { expect } from 'vitest';
import { API_VERSION, formatErrors, validateFunctionRoute, validateWasmFunction } from '../../../api/index.ts';
import type { AssignedFunction, AssignedRoute, NodeAssignment, ValidationResult } from '../../../api/index.ts';
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

function valid<T>(r: ValidationResult<T>): T {
  if (!r.ok) throw new Error(formatErrors(r.errors));
  return r.value;
}

/** An assigned function running `ref` (`host/repo@digest`), its spec (`spec` over the module) defaulted as the API server does. */
export function assignedFunction(namespace: string, name: string, ref: string, spec: object = {}): AssignedFunction {
  const { module: _declared, ...declared } = valid(validateWasmFunction({ apiVersion: API_VERSION, kind: 'WasmFunction', metadata: { name, namespace }, spec: { module: { ref }, ...spec } })).spec;
  return { namespace, name, uid: name, generation: 1, spec: declared, ref, digest: ref.slice(ref.indexOf('@') + 1), trustPolicy: 'fleet', hostPaths: { allowed: [] } };
}

/** An assigned route on `host` + `/<name>` to `backends` ([function name, weight], all served by the node), its spec (`spec` over those) defaulted. */
export function assignedRoute(namespace: string, name: string, host: string, backends: readonly (readonly [string, number])[], spec: object = {}): AssignedRoute {
  const declared = backends.map(([functionRef, weight]) => ({ functionRef, weight }));
  const route = valid(validateFunctionRoute({ apiVersion: API_VERSION, kind: 'FunctionRoute', metadata: { name, namespace }, spec: { host, pathPrefix: `/${name}`, backends: declared, ...spec } }));
  return { namespace, name, spec: route.spec, backends: route.spec.backends };
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
