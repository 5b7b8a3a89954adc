import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ceilingsPolicy, ceilingsPolicyBinding, CEILINGS_POLICY } from './admission.ts';
import { evaluateCel } from './cel.ts';
import { hostPathRefusal, isUnder, isUnderCel } from './host-paths.ts';
import { CEILING_CASES, POOLS, functionObject, judge, runtimeObject } from './testdata/ceilings.ts';
import { MODULE_REF, VALID } from './testdata/bad-inputs.ts';
import { FUZZ_RUNS } from './testdata/fuzz.ts';

const NS = 'edge';
const policy = ceilingsPolicy();
const params = Object.entries(POOLS).map(([name, spec]) => runtimeObject(name, NS, spec));

describe('the ceilings policy and binding', () => {
  it('take every WasmRuntime of the function\'s namespace as params, refuse on failure and deny', () => {
    expect(policy.spec.paramKind).toEqual({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmRuntime' });
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(policy.spec.matchConstraints.resourceRules).toEqual([{ apiGroups: ['flotilla.dev'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: ['wasmfunctions'] }]);
    const binding = ceilingsPolicyBinding();
    expect(binding.spec).toEqual({ policyName: CEILINGS_POLICY, validationActions: ['Deny'], paramRef: { selector: {}, parameterNotFoundAction: 'Allow' } });
    expect('namespace' in binding.spec.paramRef).toBe(false);
  });

  it('skips, in every validation, params that are not the function\'s pool', () => {
    for (const v of policy.spec.validations) expect(v.expression).toMatch(/^!variables\.judged \|\| /);
    expect(policy.spec.variables.find((v) => v.name === 'judged')?.expression).toBe('object.spec.runtimeClass == params.metadata.name');
  });

  it('is fresh data on each call (a caller may not change the next one)', () => {
    expect(ceilingsPolicy()).toEqual(policy);
    expect(ceilingsPolicy().spec.variables).not.toBe(policy.spec.variables);
  });
});

describe('the policy evaluated in-process', () => {
  it.each(CEILING_CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    expect(judge(policy, functionObject('fn', NS, c.spec), params)).toEqual(c.refused(NS));
  });

  it('judges a write that changes the spec, not one that only changes metadata', () => {
    const lowered = [runtimeObject('default', NS, { ...POOLS.default, ceilings: { memoryPages: 512 } })];
    const old = functionObject('fn', NS, { module: { ref: MODULE_REF }, runtimeClass: 'default', limits: { memoryPages: 1024 } });
    const relabelled = { ...old, metadata: { name: 'fn', namespace: NS, labels: { team: 'a' } } };
    expect(judge(policy, relabelled, lowered, old)).toEqual([]);
    const respecced = functionObject('fn', NS, { module: { ref: MODULE_REF }, runtimeClass: 'default', limits: { memoryPages: 1024, timeoutMs: 100 } });
    expect(judge(policy, respecced, lowered, old)).toEqual([`spec.limits.memoryPages 1024 exceeds WasmRuntime ${NS}/default spec.ceilings.memoryPages 512: lower it or raise the pool's ceiling`]);
  });

  it('judges nothing when the pool sets no ceilings', () => {
    const open = [runtimeObject('default', NS, VALID.WasmRuntime)];
    expect(judge(policy, functionObject('fn', NS, { module: { ref: MODULE_REF }, limits: { memoryPages: 65536, timeoutMs: 900000, concurrency: 10000 } }), open)).toEqual([]);
  });
});

// The API server, the operator and the node must agree on "under an allowed directory": the CEL
// the policy runs against api/host-paths.ts, which the operator and the node run.
const segment = fc.constantFrom('srv', 'data', 'data2', 'd', 'var', 'lib', 'a');
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);

describe('host paths: the policy agrees with hostPathRefusal', () => {
  it('isUnderCel is isUnder', () => {
    fc.assert(
      fc.property(path, fc.oneof(path, fc.constant('/')), (p, root) => {
        expect(evaluateCel(isUnderCel('p', 'root'), { p, root })).toBe(isUnder(p, root));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('admits exactly the volumes every layer admits', () => {
    const allowedEntry = fc.record({ path, readOnly: fc.boolean() });
    const volume = fc.record({ hostPath: path, readOnly: fc.boolean() });
    fc.assert(
      fc.property(fc.uniqueArray(allowedEntry, { selector: (a) => a.path, maxLength: 4 }), fc.array(volume, { maxLength: 3 }), (allowed, volumes) => {
        const rt = [runtimeObject('default', NS, { ...VALID.WasmRuntime, hostPaths: { allowed } })];
        const vols = volumes.map((v, i) => ({ name: `v${i}`, hostPath: v.hostPath, mountPath: `/m${i}`, readOnly: v.readOnly }));
        const refused = judge(policy, functionObject('fn', NS, { module: { ref: MODULE_REF }, capabilities: { volumes: vols } }), rt).length > 0;
        const layers = vols.some((v) => hostPathRefusal(v.hostPath, v.readOnly, allowed, 'allowed') !== undefined);
        expect(refused).toBe(layers);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
