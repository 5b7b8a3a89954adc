/**
 * Every referenced digest resolvable in its registry and signed by a key or identity the target
 * cluster trusts: WasmFunction -> its WasmRuntime (spec.runtimeClass) -> the trust policy ConfigMap
 * (spec.trustPolicyRef) in the same cluster folder -> artifacts/ verification, the code the
 * operator and the node runtime run.
 */
import { openStore, parseReference, requireDigest, verifySignatures } from '../../artifacts/index.ts';
import type { StoreOptions, TrustPolicy } from '../../artifacts/index.ts';
import type { WasmFunction, WasmRuntime } from '../../api/index.ts';
import { TRUST_POLICY_KEY } from '../../policies/trust-policy.ts';
import type { CheckProblem } from './problem.ts';
import type { ParsedDoc } from './schema.ts';

/** What the check needs to reach registries. */
export interface RegistryContext {
  readonly store: StoreOptions;
}

type Lookup = { ok: true; policy: TrustPolicy; name: string } | { ok: false; field: string; message: string };

function trustPolicyFor(fn: WasmFunction, cluster: readonly ParsedDoc[]): Lookup {
  const ns = fn.metadata.namespace;
  const runtime = cluster.find((d) => d.flotilla?.kind === 'WasmRuntime' && d.flotilla.metadata.name === fn.spec.runtimeClass && d.flotilla.metadata.namespace === ns)?.flotilla as WasmRuntime | undefined;
  if (runtime === undefined) return { ok: false, field: 'spec.runtimeClass', message: `expected a WasmRuntime ${ns ?? ''}/${fn.spec.runtimeClass} in this cluster's folder, got none; add it or name an existing pool` };
  const name = runtime.spec.trustPolicyRef.name;
  const cm = cluster.find((d) => d.value['kind'] === 'ConfigMap' && (d.value['metadata'] as { name?: unknown } | undefined)?.name === name);
  const text = (cm?.value['data'] as Record<string, unknown> | undefined)?.[TRUST_POLICY_KEY];
  if (typeof text !== 'string') {
    return { ok: false, field: 'spec.runtimeClass', message: `its WasmRuntime ${runtime.metadata.name} trusts policy ${name}, expected a ConfigMap ${name} with data.${TRUST_POLICY_KEY} in this cluster's folder, got none; render the trust policy (policies/)` };
  }
  try {
    const p = JSON.parse(text) as Partial<TrustPolicy>;
    return { ok: true, name, policy: { keys: p.keys ?? [], identities: p.identities ?? [] } };
  } catch {
    return { ok: false, field: 'spec.runtimeClass', message: `trust policy ConfigMap ${name}: expected JSON { keys, identities } under data.${TRUST_POLICY_KEY}, got unparseable text` };
  }
}

/** Verifies every WasmFunction of each cluster; `clusters` maps a cluster name to its parsed docs. */
export async function signatureProblems(clusters: ReadonlyMap<string, readonly ParsedDoc[]>, ctx: RegistryContext): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  // The same module under the same policy verifies the same way in every cluster: ask once.
  const seen = new Map<string, Promise<string | undefined>>();
  const verify = (ref: string, policy: TrustPolicy, policyName: string): Promise<string | undefined> => {
    const key = `${ref}\n${JSON.stringify(policy)}`;
    let p = seen.get(key);
    if (p === undefined) {
      p = (async () => {
        try {
          const parsed = parseReference(ref);
          const digest = requireDigest(parsed);
          const store = await openStore(parsed, ctx.store);
          await verifySignatures(store, digest, policy);
          return undefined;
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          const what = err instanceof Error ? err.message : String(err);
          return `${typeof code === 'string' ? `${code}: ` : ''}${what} (trust policy ${policyName})`;
        }
      })();
      seen.set(key, p);
    }
    return p;
  };
  for (const docs of clusters.values()) {
    for (const d of docs) {
      if (d.flotilla?.kind !== 'WasmFunction') continue;
      const fn = d.flotilla;
      const trust = trustPolicyFor(fn, docs);
      if (!trust.ok) {
        problems.push({ file: d.file, object: d.object, field: trust.field, message: trust.message });
        continue;
      }
      const failure = await verify(fn.spec.module.ref, trust.policy, trust.name);
      if (failure !== undefined) problems.push({ file: d.file, object: d.object, field: 'spec.module.ref', message: failure });
    }
  }
  return problems;
}
