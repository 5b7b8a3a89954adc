// The shared bad-input table (api/testdata/bad-inputs.ts) through the low-level constructs: each
// must throw at construction, naming the same field the API server and the validator name.
import { describe, expect, it } from 'vitest';
import { BAD_INPUTS } from '../api/testdata/bad-inputs.ts';
import type { BadInput } from '../api/testdata/bad-inputs.ts';
import { ConstructError } from './errors.ts';
import { FunctionRoute } from './function-route.ts';
import { FunctionTrigger } from './function-trigger.ts';
import { testChart } from './testing.ts';
import { WasmFunction } from './wasm-function.ts';
import { WasmRuntime } from './wasm-runtime.ts';

type Json = Record<string, unknown>;

/** Builds the construct whose props carry the bad spec (props mirror spec field names). */
function construct(b: BadInput): void {
  const chart = testChart();
  const name = b.objectName ?? 'bad';
  const s = b.spec as Json & { module?: { ref?: string }; trustPolicyRef?: { name?: string } };
  switch (b.kind) {
    case 'WasmFunction': {
      const { module, ...rest } = s;
      new WasmFunction(chart, 'fn', { name, module: module?.ref as string, ...rest });
      return;
    }
    case 'WasmRuntime': {
      const { trustPolicyRef, ...rest } = s;
      new WasmRuntime(chart, 'rt', { name, trustPolicy: trustPolicyRef?.name as string, ...rest } as never);
      return;
    }
    case 'FunctionTrigger': {
      const { functionRef, type, cron, nats, mqtt, http, deadLetter, next, ...rest } = s as Json & { deadLetter?: { target: string }; next?: { functionRef: string }[] };
      new FunctionTrigger(chart, 'tr', {
        name,
        function: { name: functionRef as string },
        source: { type, cron, nats, mqtt, http } as never,
        deadLetter: deadLetter?.target,
        next: next?.map((n) => ({ name: n.functionRef })),
        ...rest,
      });
      return;
    }
    case 'FunctionRoute': {
      const { backends, ...rest } = s as Json & { backends: { functionRef: string; weight: number }[] };
      new FunctionRoute(chart, 'rt', { name, backends: backends.map((x) => ({ function: { name: x.functionRef }, weight: x.weight })), ...rest } as never);
      return;
    }
  }
}

describe('constructs refuse the bad-input table at construction', () => {
  it.each(BAD_INPUTS.map((b) => [b.name, b] as const))('%s', (_n, b) => {
    let error: unknown;
    try {
      construct(b);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConstructError);
    expect((error as ConstructError).code).toBe('InvalidProps');
    expect((error as ConstructError).message).toContain(b.field);
    expect((error as ConstructError).message).toMatch(/ at test\//);
  });
});
