// Admission ceilings on the real kube-apiserver: the ValidatingAdmissionPolicy of api/admission.ts,
// with every WasmRuntime of the namespace as params, refuses a WasmFunction over its own pool's
// ceilings with the message naming the field, the value, the ceiling and the pool, and admits the
// rest. The table is the one the unit test evaluates in-process (api/testdata/ceilings.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CEILINGS_POLICY, KINDS, ceilingsPolicy, ceilingsPolicyBinding, crdFor } from '../../../api/index.ts';
import { MODULE_REF } from '../../../api/testdata/bad-inputs.ts';
import { CEILING_CASES, POOLS, functionObject, judge, runtimeObject } from '../../../api/testdata/ceilings.ts';
import { createTestNamespace, harness, kubectl, waitFor } from '../../harness/index.ts';
import type { TestNamespace } from '../../harness/index.ts';

const MANAGER = 'flotilla-admission-test';
const k = (args: readonly string[], input?: string) => kubectl(harness().kube.kubeconfig, args, input);
const apply = (obj: unknown, extra: readonly string[] = []) => k(['apply', '--server-side', '--force-conflicts', `--field-manager=${MANAGER}`, ...extra, '-f', '-'], JSON.stringify(obj));
/** The error of a write, or undefined when the API server admitted it. */
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (e as Error).message);

let ns: TestNamespace;
/** A namespace without any WasmRuntime: parameterNotFoundAction Allow. */
let empty: TestNamespace;
let bindingName = '';

type PolicyStatus = { metadata: { generation: number }; status?: { observedGeneration?: number; typeChecking?: { expressionWarnings?: { fieldRef: string; warning: string }[] } } };

/** The policy's type-check result, once the API server has checked its current generation (it does so asynchronously). */
async function typeChecked(name: string): Promise<NonNullable<NonNullable<PolicyStatus['status']>['typeChecking']>> {
  return waitFor(
    async () => {
      const p = JSON.parse(await k(['get', 'validatingadmissionpolicy', name, '-o', 'json'])) as PolicyStatus;
      return p.status?.observedGeneration === p.metadata.generation ? p.status.typeChecking : undefined;
    },
    { what: `${name} type-checked`, timeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  await k(['apply', '--server-side', '--force-conflicts', `--field-manager=${MANAGER}`, '-f', '-'], KINDS.map((d) => JSON.stringify(crdFor(d))).join('\n---\n'));
  await k(['wait', '--for=condition=Established', '--timeout=60s', ...KINDS.map((d) => `crd/${d.plural}.flotilla.dev`)]);
  ns = await createTestNamespace('admission');
  empty = await createTestNamespace('admission-empty');
  for (const [name, spec] of Object.entries(POOLS)) await apply(runtimeObject(name, ns.name, spec));
  // The policy exactly as rendered. The binding as rendered, narrowed to this test's namespaces:
  // the API server is shared by the whole run, and other suites create over-ceiling functions on
  // purpose to see the operator report them.
  await apply(ceilingsPolicy());
  const binding = ceilingsPolicyBinding();
  bindingName = `${CEILINGS_POLICY}-${ns.name}`;
  await apply({
    ...binding,
    metadata: { ...binding.metadata, name: bindingName },
    spec: { ...binding.spec, matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns.name, empty.name] }] } } },
  });
}, 120_000);

afterAll(async () => {
  if (bindingName) await k(['delete', 'validatingadmissionpolicybinding', bindingName, '--ignore-not-found']);
  await ns?.delete();
  await empty?.delete();
});

describe('the ceilings policy on the API server', () => {
  it('type-checks against the CRDs without a warning', async () => {
    expect((await typeChecked(CEILINGS_POLICY)).expressionWarnings ?? []).toEqual([]);
  });

  it('(the type check sees a field the CRD does not have, so the assertion above can fail)', async () => {
    const policy = ceilingsPolicy();
    const name = `${CEILINGS_POLICY}-typo-${ns.name}`;
    const typo = policy.spec.validations.map((v) => ({ ...v, expression: v.expression.replace('object.spec.limits.memoryPages', 'object.spec.limits.memoryPage') }));
    await apply({ ...policy, metadata: { ...policy.metadata, name }, spec: { ...policy.spec, validations: typo } });
    try {
      expect((await typeChecked(name)).expressionWarnings?.map((w) => w.warning).join('\n')).toContain('memoryPage');
    } finally {
      await k(['delete', 'validatingadmissionpolicy', name]);
    }
  });

  it('takes effect', async () => {
    // A binding is enforced within about a second of its creation (and the params once the informer has them).
    const over = functionObject('probe', ns.name, { module: { ref: MODULE_REF }, runtimeClass: 'default', limits: { memoryPages: 4096 } });
    const message = await waitFor(async () => refusal(apply(over, ['--dry-run=server'])), { what: 'the binding to refuse an over-ceiling function', timeoutMs: 30_000 });
    expect(message).toContain(`ValidatingAdmissionPolicy '${CEILINGS_POLICY}' with binding '${bindingName}' denied request`);
  });

  it.each(CEILING_CASES.map((c, i) => [c.name, c, i] as const))('%s: as the policy evaluated in-process says', async (_n, c, i) => {
    const fn = functionObject(`fn-${i}`, ns.name, c.spec);
    const expected = c.refused(ns.name);
    const params = Object.entries(POOLS).map(([name, spec]) => runtimeObject(name, ns.name, spec));
    expect(judge(ceilingsPolicy(), fn, params)).toEqual(expected);
    const message = await refusal(apply(fn));
    if (expected.length === 0) {
      expect(message, 'the API server refused it').toBeUndefined();
      expect(await k(['get', '-n', ns.name, `wasmfunction/fn-${i}`, '-o', 'name'])).toContain(`fn-${i}`);
    } else {
      // The API server reports the first validation that fails; the others are fixed one by one.
      expect(message, 'the API server admitted it').toBeDefined();
      expect(message).toContain(expected[0]);
    }
  });

  it('admits any function in a namespace without WasmRuntimes (the operator reports RuntimeNotFound)', async () => {
    const fn = functionObject('no-pool', empty.name, { module: { ref: MODULE_REF }, limits: { memoryPages: 65536 } });
    expect(await refusal(apply(fn))).toBeUndefined();
  });

  it('after a ceiling is lowered, admits a metadata-only update of a function over it and refuses a spec change', async () => {
    await apply(runtimeObject('shrinking', ns.name, { ...POOLS.default, ceilings: { memoryPages: 1024 } }));
    const fn = functionObject('shrunk', ns.name, { module: { ref: MODULE_REF }, runtimeClass: 'shrinking', limits: { memoryPages: 1024 } });
    await waitFor(async () => ((await refusal(apply(fn))) === undefined ? true : undefined), { what: 'the function admitted under the pool', timeoutMs: 30_000 });
    await apply(runtimeObject('shrinking', ns.name, { ...POOLS.default, ceilings: { memoryPages: 512 } }));
    const respecced = functionObject('shrunk', ns.name, { module: { ref: MODULE_REF }, runtimeClass: 'shrinking', limits: { memoryPages: 1024, timeoutMs: 100 } });
    // The lowered ceiling reaches the policy through its params informer.
    const message = await waitFor(async () => refusal(apply(respecced, ['--dry-run=server'])), { what: 'the lowered ceiling to refuse a spec change', timeoutMs: 30_000 });
    expect(message).toContain(`spec.limits.memoryPages 1024 exceeds WasmRuntime ${ns.name}/shrinking spec.ceilings.memoryPages 512: lower it or raise the pool's ceiling`);
    expect(await refusal(k(['label', '-n', ns.name, 'wasmfunction/shrunk', 'team=a']))).toBeUndefined();
    expect(await k(['get', '-n', ns.name, 'wasmfunction/shrunk', '-o', 'jsonpath={.spec.limits.memoryPages}'])).toBe('1024');
  });
});
