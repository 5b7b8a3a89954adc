import type { DesiredCondition } from '../conditions.ts';
import type { RegisteredNode } from '../../api/index.ts';

export interface RuntimeStatusPlan {
  readonly readyNodes: number;
  readonly desiredNodes: number;
  readonly currentVersion?: string;
  readonly conditions: DesiredCondition[];
}

/** Normalises "v1.2.3" and "1.2.3" so a leading v is not a version difference. */
function sameVersion(a: string | undefined, b: string): boolean {
  return a !== undefined && a.replace(/^v/, '') === b.replace(/^v/, '');
}

/**
 * The pool's status from its registered nodes: Ready when every registered node is ready,
 * Progressing while some ready node runs another version than spec.version. `scheduledNodes` is the
 * DaemonSet's count in a real cluster (nodes that should register), 0 elsewhere.
 */
export function runtimeStatus(spec: { version: string }, nodes: readonly RegisteredNode[], scheduledNodes = 0): RuntimeStatusPlan {
  const ready = nodes.filter((n) => n.ready);
  const desiredNodes = Math.max(nodes.length, scheduledNodes);
  const versions = [...new Set(ready.map((n) => n.version ?? 'unknown'))].sort();
  const currentVersion = versions.length === 1 ? versions[0] : undefined;
  const notReady = nodes.filter((n) => !n.ready).map((n) => (n.problem ? `${n.name} (${n.problem})` : `${n.name} (lease expired)`));
  const conditions: DesiredCondition[] = [];
  if (desiredNodes === 0) {
    conditions.push({ type: 'Ready', status: 'False', reason: 'NodesNotReady', message: 'no node runtime has registered for this pool: start node runtimes with this runtime name, or check the DaemonSet and its node selector' });
  } else if (ready.length < desiredNodes) {
    const detail = notReady.length > 0 ? `; not ready: ${notReady.join(', ')}` : '; waiting for scheduled nodes to register';
    conditions.push({ type: 'Ready', status: 'False', reason: 'NodesNotReady', message: `${ready.length}/${desiredNodes} nodes ready${detail}` });
  } else {
    conditions.push({ type: 'Ready', status: 'True', reason: 'AllNodesReady', message: `${ready.length}/${desiredNodes} nodes ready` });
  }
  const behind = ready.filter((n) => !sameVersion(n.version, spec.version)).map((n) => `${n.name} (${n.version ?? 'unknown'})`);
  conditions.push(
    behind.length > 0
      ? { type: 'Progressing', status: 'True', reason: 'RolloutInProgress', message: `rolling out ${spec.version}: ${behind.length}/${ready.length} ready nodes on another version: ${behind.join(', ')}` }
      : { type: 'Progressing', status: 'False', reason: 'RolloutComplete', message: `every ready node runs ${spec.version}` },
  );
  return { readyNodes: ready.length, desiredNodes, ...(currentVersion !== undefined ? { currentVersion } : {}), conditions };
}
