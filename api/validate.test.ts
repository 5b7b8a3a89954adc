import { describe, expect, it } from 'vitest';
import { API_VERSION } from './group.ts';
import { KINDS } from './kinds.ts';
import { BAD_INPUTS, GOOD_INPUTS, VALID, badObject } from './testdata/bad-inputs.ts';
import { validateObject, validateWasmFunction } from './validators.ts';

describe('runtime validator', () => {
  it.each(KINDS.map((k) => k.kind))('accepts the minimal valid %s and applies defaults', (kind) => {
    const r = validateObject(kind, { apiVersion: API_VERSION, kind, metadata: { name: 'ok' }, spec: VALID[kind] });
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it('fills the defaults the CRD declares', () => {
    const r = validateWasmFunction({ apiVersion: API_VERSION, kind: 'WasmFunction', metadata: { name: 'f' }, spec: VALID.WasmFunction });
    if (!r.ok) throw new Error('expected ok');
    expect(r.value.spec.limits).toEqual({ memoryPages: 256, timeoutMs: 5000, concurrency: 8 });
    expect(r.value.spec.capabilities).toEqual({ env: [], allowedHosts: [], volumes: [] });
    expect(r.value.spec.scaling).toEqual({ minInstances: 1, maxInstances: 10, targetConcurrency: 8, scaleToZero: false });
    expect(r.value.spec.runtimeClass).toBe('default');
  });

  it('does not mutate its input', () => {
    const input = { apiVersion: API_VERSION, kind: 'WasmFunction', metadata: { name: 'f' }, spec: { ...VALID.WasmFunction } };
    validateWasmFunction(input);
    expect(input.spec).toEqual(VALID.WasmFunction);
  });

  it('has at least 25 bad inputs', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(BAD_INPUTS.map((b) => [b.name, b] as const))('rejects %s naming the field', (_name, b) => {
    const r = validateObject(b.kind, badObject(b));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.message).join('\n')).toContain(b.field);
  });

  it.each(GOOD_INPUTS.map((b) => [b.name, b] as const))('accepts the edge case %s', (_name, b) => {
    const r = validateObject(b.kind, badObject(b));
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it('reports every problem at once', () => {
    const r = validateWasmFunction({
      apiVersion: API_VERSION,
      kind: 'WasmFunction',
      metadata: { name: 'f' },
      spec: { module: { ref: VALID.WasmFunction.module }, limits: { memoryPages: 0, timeoutMs: 0 }, bogus: true },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path).sort()).toEqual(['spec.bogus', 'spec.limits.memoryPages', 'spec.limits.timeoutMs', 'spec.module.ref']);
  });

  it('refuses the wrong kind and non-objects', () => {
    expect(validateWasmFunction('x').ok).toBe(false);
    const r = validateWasmFunction({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} });
    expect(r.ok ? '' : r.errors[0]?.message).toContain('expected apiVersion flotilla.dev/v1alpha1 kind WasmFunction');
  });
});
