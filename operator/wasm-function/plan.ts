import type { DesiredCondition } from '../conditions.ts';
import type { LiveWasmFunction, LiveWasmRuntime } from '../kinds.ts';
import { hostPathRefusal, pinnedDigest, SCALE_TO_ZERO_AFTER_SECONDS } from '../../api/index.ts';
import type { RegisteredNode } from '../../api/index.ts';
import { place } from '../nodes/placement.ts';
import type { Verification } from './verification.ts';

/** Everything a WasmFunction's status depends on, observed from caches and the verifier. */
export interface FunctionObservation {
  readonly fn: LiveWasmFunction;
  /** undefined: spec.runtimeClass names no WasmRuntime in the namespace. */
  readonly runtime: LiveWasmRuntime | undefined;
  /** undefined when not attempted (no runtime, limits rejected). */
  readonly verification: Verification | undefined;
  /** The pool's registered nodes, with their Node objects' labels and cordon. */
  readonly nodes: readonly (RegisteredNode & { readonly cordoned?: boolean })[];
  /** Functions other than this one assigned per node. */
  readonly load: ReadonlyMap<string, number>;
}

/** A module the nodes can run: its full reference and manifest digest. */
export interface ServedModule {
  readonly ref: string;
  readonly digest: string;
}

export interface FunctionPlan {
  /**
   * The module the nodes run (status.moduleRef / resolvedDigest): the spec's once verified, else
   * the last one verified, so a bad commit or a registry outage never takes a working function down.
   * Absent when nothing verified is available.
   */
  readonly served?: ServedModule;
  /** Where the function should run now (becomes status.nodes, then the nodes' assignments). */
  readonly nodes: string[];
  readonly desiredInstances: number;
  readonly readyInstances: number;
  readonly conditions: DesiredCondition[];
  /** Scale from zero: the nodes whose held requests woke the function (it ran nowhere before). */
  readonly wokenBy?: string[];
  /** Scale to zero: the nodes it comes off because it was idle there. */
  readonly idleOn?: string[];
}

/** Failures on a node before the function counts as Degraded there (one crash is noise, three is a pattern). */
export const DEGRADED_AFTER_FAILURES = 3;

/** Below this share of targetConcurrency per instance we scale down; the gap keeps a load near the boundary from flapping. */
export const SCALE_DOWN_AT = 0.7;

/**
 * Instances wanted: enough that each carries at most targetConcurrency in-flight invocations
 * (reported by the nodes), within [minInstances, maxInstances]. Scale up at once; scale down only
 * when the load would fit under SCALE_DOWN_AT of the target, so instances are not dropped and
 * re-added on every heartbeat. Without reports (inFlight 0) this is minInstances.
 */
export function desiredInstances(scaling: { minInstances: number; maxInstances: number; targetConcurrency: number }, inFlight: number, current: number): number {
  const clamp = (n: number) => Math.min(scaling.maxInstances, Math.max(scaling.minInstances, n));
  const up = Math.ceil(inFlight / scaling.targetConcurrency);
  if (up >= current) return clamp(up);
  const down = Math.ceil(inFlight / (scaling.targetConcurrency * SCALE_DOWN_AT));
  return clamp(Math.min(current, down));
}

/** What scale to zero / from zero sees in the nodes' reports on one function. */
export interface ZeroScaling {
  /** Ready nodes holding requests for it (report state Wanted), sorted: where it should start. */
  readonly wanting: string[];
  /** Current ready nodes that have not reported it idle: they keep their instance. */
  readonly busy: string[];
  /** Current nodes that reported it idle for its scaleToZeroAfterSeconds. */
  readonly idle: string[];
}

/** Reads demand and idleness of function `key` from the nodes' reports. Pure. */
export function zeroScaling(key: string, current: readonly string[], nodes: readonly RegisteredNode[]): ZeroScaling {
  const reportOn = (name: string) => nodes.find((n) => n.name === name)?.report[key];
  const wanting = nodes.filter((n) => n.ready && n.report[key]?.state === 'Wanted').map((n) => n.name).sort();
  const idle = current.filter((name) => reportOn(name)?.idle === true);
  // A node that went away keeps nothing: its instance is not moved elsewhere without demand.
  const busy = current.filter((name) => !idle.includes(name) && nodes.some((n) => n.name === name && n.ready));
  return { wanting, busy, idle };
}

/** Limits above the pool's ceilings, as "field: asked > ceiling" strings. */
export function limitsOverCeiling(fn: LiveWasmFunction, runtime: LiveWasmRuntime): string[] {
  const ceilings = runtime.spec.ceilings ?? {};
  const over: string[] = [];
  for (const field of ['memoryPages', 'timeoutMs', 'concurrency'] as const) {
    const ceiling = ceilings[field];
    const asked = fn.spec.limits[field];
    if (ceiling !== undefined && asked > ceiling) over.push(`limits.${field}: ${asked} > ${ceiling}`);
  }
  return over;
}

/** Volumes outside the pool's spec.hostPaths.allowed, one "volume <name>: why" string each. */
export function hostPathsOutside(fn: LiveWasmFunction, runtime: LiveWasmRuntime): string[] {
  const field = `WasmRuntime ${runtime.metadata.namespace ?? ''}/${runtime.metadata.name} spec.hostPaths.allowed`;
  return fn.spec.capabilities.volumes.flatMap((v) => {
    const refusal = hostPathRefusal(v.hostPath, v.readOnly, runtime.spec.hostPaths.allowed, field);
    return refusal === undefined ? [] : [`volume ${v.name}: ${refusal}`];
  });
}

/** The module verified earlier (status.moduleRef + resolvedDigest are only ever written for a verified module). */
function lastVerified(fn: LiveWasmFunction): ServedModule | undefined {
  const ref = fn.status?.moduleRef;
  const digest = fn.status?.resolvedDigest;
  return ref !== undefined && digest !== undefined && ref.endsWith(`@${digest}`) ? { ref, digest } : undefined;
}

function pending(type: DesiredCondition['type'], message: string): DesiredCondition {
  return { type, status: 'Unknown', reason: 'Pending', message };
}

/**
 * Computes a WasmFunction's placement and conditions. Order of the gates is the pipeline's: the
 * runtime must exist and allow the limits and host paths, the module must be reachable and signed,
 * then it is placed, and it is Ready only when the nodes report it Loaded at this digest.
 */
export function planFunction(o: FunctionObservation): FunctionPlan {
  const { fn, runtime } = o;
  const key = `${fn.metadata.namespace}/${fn.metadata.name}`;
  const digest = pinnedDigest(fn.spec.module.ref);
  const notRunning = (conditions: DesiredCondition[]): FunctionPlan => ({ nodes: [], desiredInstances: 0, readyInstances: 0, conditions });
  if (!digest) {
    const message = `spec.module.ref ${fn.spec.module.ref} is not pinned by digest: use <registry>/<repository>@sha256:<hex> (flotilla push prints it)`;
    return notRunning([{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message }, pending('SignatureVerified', 'waiting for a valid spec')]);
  }
  if (!runtime) {
    const message = `WasmRuntime ${fn.metadata.namespace}/${fn.spec.runtimeClass} not found: create it or set spec.runtimeClass to an existing pool`;
    return notRunning([{ type: 'Ready', status: 'False', reason: 'RuntimeNotFound', message }, pending('SignatureVerified', 'waiting for the WasmRuntime')]);
  }
  const over = limitsOverCeiling(fn, runtime);
  if (over.length > 0) {
    const message = `limits exceed the ceilings of WasmRuntime ${runtime.metadata.name}: ${over.join(', ')}; lower them or raise the pool's ceilings`;
    return notRunning([{ type: 'Ready', status: 'False', reason: 'LimitsExceedCeiling', message }, pending('SignatureVerified', 'waiting for limits within the ceilings')]);
  }
  const outside = hostPathsOutside(fn, runtime);
  if (outside.length > 0) {
    const message = `spec.capabilities.volumes outside the host paths WasmRuntime ${runtime.metadata.name} allows: ${outside.join('; ')}`;
    return notRunning([{ type: 'Ready', status: 'False', reason: 'HostPathNotAllowed', message }, pending('SignatureVerified', 'waiting for volumes within the allowed host paths')]);
  }

  const conditions: DesiredCondition[] = [];
  const v = o.verification;
  const last = lastVerified(fn);
  const policy = runtime.spec.trustPolicyRef.name;
  let served: ServedModule | undefined;
  /** Why the spec's module is not the one served (undefined when it is). */
  let blocked: { reason: DesiredCondition['reason']; message: string } | undefined;
  if (!v || !v.ok) {
    const reason = v?.reason ?? 'Pending';
    const message = v?.message ?? 'verification not attempted';
    if (v?.condition === 'SignatureVerified') {
      // Never served. The last verified module keeps serving, unless it is this very digest (its
      // signature is gone or no longer trusted): then the function comes off every node.
      conditions.push({ type: 'SignatureVerified', status: 'False', reason, message });
      conditions.push({ type: 'ModuleAvailable', status: 'True', reason: 'Pulled', message: `manifest ${digest} found` });
      served = last?.digest === digest ? undefined : last;
    } else {
      // Registry trouble: a module verified before keeps running (a registry outage must not take an edge site down).
      conditions.push({ type: 'ModuleAvailable', status: 'False', reason, message });
      served = last;
      conditions.push(
        last?.digest === digest
          ? { type: 'SignatureVerified', status: 'True', reason: 'Verified', message: `${digest} verified earlier against trust policy ${policy}` }
          : pending('SignatureVerified', `waiting for the module ${digest}`),
      );
    }
    if (!served) return notRunning([{ type: 'Ready', status: 'False', reason, message: `module not served: ${message}` }, ...conditions]);
    if (served.digest !== digest) blocked = { reason, message: `${digest} not served: ${message}; ${served.digest} (verified earlier) keeps serving` };
  } else {
    served = { ref: fn.spec.module.ref, digest };
    conditions.push({ type: 'SignatureVerified', status: 'True', reason: 'Verified', message: `${digest} is signed per trust policy ${policy}` });
    conditions.push({ type: 'ModuleAvailable', status: 'True', reason: 'Pulled', message: `manifest ${digest} found` });
  }

  const current = fn.status?.nodes ?? [];
  const scaling = fn.spec.scaling;
  const inFlight = current.reduce((sum, name) => sum + (o.nodes.find((n) => n.name === name)?.report[key]?.inFlight ?? 0), 0);
  // Scale to zero runs where it is asked for: an instance stays until its node reports it idle, and
  // every node holding requests gets one (it answers them itself: a scale-to-zero function is held and woken where its request lands, never forwarded), within
  // maxInstances. Not by concurrency: every node already routes it, so an instance added on a node
  // by load elsewhere would get no requests, go idle and be re-added on each idle window.
  const zero = scaling.scaleToZero ? zeroScaling(key, current, o.nodes) : undefined;
  const desired = zero ? Math.min(scaling.maxInstances, new Set([...zero.busy, ...zero.wanting]).size) : desiredInstances(scaling, inFlight, current.length);
  const placement = place({
    // Nodes already running it (and not idle) stay; then those whose requests are waiting.
    current: zero ? [...zero.busy, ...zero.wanting] : current,
    desired,
    nodeSelector: fn.spec.placement?.nodeSelector,
    topologySpread: fn.spec.placement?.topologySpread,
    nodes: o.nodes.map((n) => ({ name: n.name, ready: n.ready, cordoned: n.cordoned === true, labels: n.labels, capacity: n.capacity.functions, load: o.load.get(n.name) ?? 0 })),
  });
  const reports = placement.nodes.map((name) => ({ name, report: o.nodes.find((n) => n.name === name)?.report[key] }));
  const loaded = reports.filter((r) => r.report?.digest === served.digest && r.report.state === 'Loaded');
  const failing = reports.filter((r) => r.report?.state === 'Failed' && (r.report.failures ?? 1) >= DEGRADED_AFTER_FAILURES);
  const behind = reports.filter((r) => r.report?.digest !== served.digest || r.report.state !== 'Loaded');

  conditions.push(
    blocked
      ? { type: 'Progressing', status: 'False', reason: 'RolloutBlocked', message: blocked.message }
      : behind.length > 0
      ? { type: 'Progressing', status: 'True', reason: 'RolloutInProgress', message: `${loaded.length}/${placement.nodes.length} nodes serve ${digest}; waiting for ${behind.map((r) => `${r.name} (${r.report ? `${r.report.state} ${r.report.digest}` : 'not reported'})`).join(', ')}` }
      : { type: 'Progressing', status: 'False', reason: 'RolloutComplete', message: `${loaded.length}/${placement.nodes.length} nodes serve ${digest}` },
  );
  conditions.push(
    failing.length > 0
      ? { type: 'Degraded', status: 'True', reason: 'InstancesFailing', message: failing.map((r) => `${r.name}: ${r.report?.reason ?? 'Failed'} ${r.report?.message ?? ''}`.trim()).join('; ') }
      : { type: 'Degraded', status: 'False', reason: 'Reconciled', message: 'no instance is failing' },
  );

  const wokenBy = zero && current.length === 0 && zero.wanting.length > 0 ? zero.wanting.filter((n) => placement.nodes.includes(n)) : undefined;
  const woken = wokenBy && wokenBy.length > 0 ? `; woken from zero by a request on ${wokenBy.join(', ')}` : '';
  let ready: DesiredCondition;
  if (desired === 0) {
    ready = { type: 'Ready', status: 'True', reason: 'ScaledToZero', message: scaledToZeroMessage(fn, runtime.metadata.name, zero?.idle ?? []) };
  } else if (blocked) {
    ready = { type: 'Ready', status: 'False', reason: blocked.reason, message: blocked.message };
  } else if (placement.nodes.length === 0) {
    const registered = o.nodes.length;
    const readyNodes = o.nodes.filter((n) => n.ready).length;
    const selector = fn.spec.placement?.nodeSelector ? ` matching placement.nodeSelector ${JSON.stringify(fn.spec.placement.nodeSelector)}` : '';
    ready = { type: 'Ready', status: 'False', reason: 'NoMatchingNodes', message: `no ready node with room${selector} in WasmRuntime ${runtime.metadata.name} (${readyNodes}/${registered} nodes ready): start node runtimes or relax the selector` };
  } else if (loaded.length >= desired) {
    ready = { type: 'Ready', status: 'True', reason: 'AllInstancesReady', message: `${loaded.length}/${desired} instances serve ${digest}` };
  } else {
    const short = placement.shortfall > 0 ? `; ${placement.shortfall} instance(s) found no node with room` : '';
    ready = { type: 'Ready', status: 'False', reason: failing.length > 0 ? 'InstancesFailing' : 'InstancesNotReady', message: `${loaded.length}/${desired} instances serve ${digest}${short}${woken}` };
  }
  const idleOn = zero?.idle.filter((n) => !placement.nodes.includes(n)) ?? [];
  return {
    served,
    nodes: placement.nodes,
    desiredInstances: desired,
    readyInstances: loaded.length,
    conditions: [ready, ...conditions],
    ...(wokenBy && wokenBy.length > 0 ? { wokenBy } : {}),
    ...(idleOn.length > 0 ? { idleOn } : {}),
  };
}

/**
 * Ready's message at zero instances. Said when it happens ("idle for 300 s on n1") and kept from
 * the previous status afterwards, so the next reconcile (which no longer sees the idle nodes) does
 * not rewrite it.
 */
function scaledToZeroMessage(fn: LiveWasmFunction, runtime: string, idle: readonly string[]): string {
  const next = `the next request on any node of WasmRuntime ${runtime} starts it`;
  if (idle.length > 0) {
    const after = fn.spec.scaling.scaleToZeroAfterSeconds ?? SCALE_TO_ZERO_AFTER_SECONDS;
    return `scaled to zero: idle for ${after} s on ${idle.join(', ')} (spec.scaling.scaleToZeroAfterSeconds); ${next}`;
  }
  const previous = fn.status?.conditions?.find((c) => c.type === 'Ready');
  if (previous?.reason === 'ScaledToZero' && previous.message.startsWith('scaled to zero: idle')) return previous.message;
  return `scaled to zero: spec.scaling.minInstances is 0 and no request is waiting; ${next}`;
}
