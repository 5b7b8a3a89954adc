/**
 * Rules across objects of one cluster, checked at synth so every problem is reported at once with
 * the construct path of the object at fault. Pure: takes the declared objects, returns problems.
 */
import { hostPathRefusal } from '../api/index.ts';
import type { FunctionRouteSpec, FunctionTriggerSpec, WasmFunctionSpec, WasmRuntimeSpec } from '../api/index.ts';

/** One declared object: where it was declared and what it says. */
export interface Declared<S> {
  readonly path: string;
  readonly namespace: string;
  readonly name: string;
  readonly spec: S;
}

export interface ClusterObjects {
  readonly functions: readonly Declared<WasmFunctionSpec>[];
  /** Functions declared elsewhere (`WasmFunction.fromName`): namespace/name keys. */
  readonly externalFunctions: readonly { readonly namespace: string; readonly name: string }[];
  readonly runtimes: readonly Declared<WasmRuntimeSpec>[];
  readonly triggers: readonly Declared<FunctionTriggerSpec>[];
  readonly routes: readonly Declared<FunctionRouteSpec>[];
}

/** A problem and the construct path it belongs to. */
export interface FleetProblem {
  readonly path: string;
  readonly message: string;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

function duplicates(kind: string, objs: readonly Declared<unknown>[], out: FleetProblem[]): void {
  const seen = new Map<string, string>();
  for (const o of objs) {
    const k = key(o.namespace, o.name);
    const first = seen.get(k);
    if (first !== undefined) out.push({ path: o.path, message: `${kind} ${k} is declared twice (also at ${first}); give one of them another name` });
    else seen.set(k, o.path);
  }
}

function overlap(a: readonly string[], b: readonly string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((m) => b.includes(m));
}

function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'visiting');
    stack.push(n);
    for (const m of [...(edges.get(n) ?? [])].sort()) {
      const c = visit(m);
      if (c !== undefined) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...edges.keys()].sort()) {
    const c = visit(n);
    if (c !== undefined) return c;
  }
  return undefined;
}

/** Every cross-object problem of one cluster. */
export function checkCluster(objs: ClusterObjects): FleetProblem[] {
  const out: FleetProblem[] = [];
  duplicates('WasmFunction', objs.functions, out);
  duplicates('WasmRuntime', objs.runtimes, out);
  duplicates('FunctionTrigger', objs.triggers, out);
  duplicates('FunctionRoute', objs.routes, out);

  const fns = new Set([...objs.functions, ...objs.externalFunctions].map((f) => key(f.namespace, f.name)));
  const routes = new Map(objs.routes.map((r) => [key(r.namespace, r.name), r]));
  const runtimes = new Map(objs.runtimes.map((r) => [r.name, r]));
  const missingFn = (ns: string, name: string, what: string, path: string) => {
    if (!fns.has(key(ns, name))) out.push({ path, message: `${what} names WasmFunction "${name}", which is not declared in namespace ${ns}; declare it or reference it with WasmFunction.fromName()` });
  };

  for (const f of objs.functions) {
    const rt = runtimes.get(f.spec.runtimeClass);
    if (rt === undefined) {
      out.push({ path: f.path, message: `runtimeClass "${f.spec.runtimeClass}" names no WasmRuntime of this cluster (have: ${[...runtimes.keys()].sort().join(', ') || 'none'}); add the pool or pick one of those` });
      continue;
    }
    for (const limit of ['memoryPages', 'timeoutMs', 'concurrency'] as const) {
      const ceiling = rt.spec.ceilings?.[limit];
      if (ceiling !== undefined && f.spec.limits[limit] > ceiling) {
        out.push({ path: f.path, message: `limits.${limit} is ${f.spec.limits[limit]}, above the ceiling ${ceiling} of WasmRuntime "${rt.name}"; lower it or raise the pool's ceiling` });
      }
    }
    for (const v of f.spec.capabilities.volumes) {
      const refusal = hostPathRefusal(v.hostPath, v.readOnly, rt.spec.hostPaths.allowed, `WasmRuntime "${rt.name}" spec.hostPaths.allowed`);
      if (refusal !== undefined) out.push({ path: f.path, message: `capabilities.volumes ${v.name}: ${refusal}` });
    }
  }

  const chain = new Map<string, Set<string>>();
  for (const t of objs.triggers) {
    missingFn(t.namespace, t.spec.functionRef, 'functionRef', t.path);
    t.spec.next.forEach((n, i) => missingFn(t.namespace, n.functionRef, `next[${i}]`, t.path));
    if (t.spec.http !== undefined) {
      const route = routes.get(key(t.namespace, t.spec.http.routeRef));
      if (route === undefined) out.push({ path: t.path, message: `http.routeRef names FunctionRoute "${t.spec.http.routeRef}", which is not declared in namespace ${t.namespace}` });
      else if (!route.spec.backends.some((b) => b.functionRef === t.spec.functionRef)) {
        out.push({ path: t.path, message: `FunctionRoute "${route.name}" has no backend "${t.spec.functionRef}"; add the function to the route's backends` });
      }
    }
    const pipeline = [t.spec.functionRef, ...t.spec.next.map((n) => n.functionRef)].map((n) => key(t.namespace, n));
    for (let i = 0; i + 1 < pipeline.length; i++) {
      const from = pipeline[i] as string;
      const edges = chain.get(from) ?? new Set<string>();
      edges.add(pipeline[i + 1] as string);
      chain.set(from, edges);
    }
  }
  const cycle = findCycle(chain);
  if (cycle !== undefined) {
    const involved = objs.triggers.filter((t) => cycle.includes(key(t.namespace, t.spec.functionRef))).map((t) => t.path);
    out.push({ path: involved[0] ?? '', message: `chaining cycle ${cycle.join(' -> ')} (triggers ${involved.join(', ')}); remove one of the next entries` });
  }

  for (const r of objs.routes) r.spec.backends.forEach((b, i) => missingFn(r.namespace, b.functionRef, `backends[${i}]`, r.path));
  const claimed: Declared<FunctionRouteSpec>[] = [];
  for (const r of objs.routes) {
    const clash = claimed.find((c) => c.spec.host === r.spec.host && c.spec.pathPrefix === r.spec.pathPrefix && overlap(c.spec.methods, r.spec.methods));
    if (clash !== undefined) {
      out.push({ path: r.path, message: `host ${r.spec.host} path ${r.spec.pathPrefix} is already claimed by FunctionRoute ${key(clash.namespace, clash.name)} at ${clash.path}; change the host, path or methods, or merge them as weighted backends` });
    }
    claimed.push(r);
  }
  return out;
}
