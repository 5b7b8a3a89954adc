import { describe, expect, it } from 'vitest';
import { gateFunctions } from './mirror.ts';
import type { MirroredObject } from './mirror.ts';

const fn = (generation: number, observed: number | undefined, verified: string | undefined, ref: string) => ({
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'WasmFunction',
  metadata: { name: 'echo', namespace: 'functions', generation },
  spec: { module: { ref } },
  status: { ...(observed !== undefined ? { observedGeneration: observed } : {}), conditions: verified ? [{ type: 'SignatureVerified', status: verified }] : [] },
});

describe('gateFunctions', () => {
  it('holds a function back until the operator verified its generation', () => {
    const good = new Map<string, MirroredObject>();
    expect(gateFunctions([fn(1, undefined, undefined, 'a')], good)).toEqual([]);
    expect(gateFunctions([fn(1, 1, 'True', 'a')], good).map((o) => o.spec)).toEqual([{ module: { ref: 'a' } }]);
  });

  it('keeps the last verified version while a new one is unverified or refused', () => {
    const good = new Map<string, MirroredObject>();
    gateFunctions([fn(1, 1, 'True', 'a')], good);
    // New generation, status still about the old one: not yet judged.
    expect(gateFunctions([fn(2, 1, 'True', 'b')], good).map((o) => o.spec)).toEqual([{ module: { ref: 'a' } }]);
    expect(gateFunctions([fn(2, 2, 'False', 'b')], good).map((o) => o.spec)).toEqual([{ module: { ref: 'a' } }]);
    expect(gateFunctions([fn(3, 3, 'True', 'c')], good).map((o) => o.spec)).toEqual([{ module: { ref: 'c' } }]);
  });

  it('passes other kinds through and forgets deleted functions', () => {
    const good = new Map<string, MirroredObject>();
    gateFunctions([fn(1, 1, 'True', 'a')], good);
    const route = { apiVersion: 'flotilla.dev/v1alpha1', kind: 'FunctionRoute', metadata: { name: 'r' } };
    expect(gateFunctions([route], good)).toEqual([route]);
    expect(good.size).toBe(0);
  });
});
