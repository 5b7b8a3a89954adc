import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatProblem } from './problem.ts';
import { schemaProblems } from './schema.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const fn = (name: string, spec: Record<string, unknown>): string =>
  stringify({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'WasmFunction', metadata: { name, namespace: 'functions' }, spec: { module: { ref: `r.example/fn@${DIGEST}` }, ...spec } });

describe('schemaProblems', () => {
  const files = [
    { path: 'g/good.yaml', content: fn('good', {}) },
    // A structural error and a CEL rule's: the validator words them differently.
    { path: 'g/limits.yaml', content: fn('limits', { limits: { memoryPages: 0 } }) },
    { path: 'g/tagged.yaml', content: fn('tagged', { module: { ref: 'r.example/fn:v1' } }) },
    { path: 'g/cm.yaml', content: stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }) },
  ];
  const { docs, checked, problems } = schemaProblems(files);

  it('counts every flotilla.dev object it checked, the invalid ones too', () => {
    expect(checked).toBe(3);
    expect(docs.map((d) => d.object)).toEqual(['WasmFunction functions/good', 'ConfigMap c']);
  });

  it('names the field once: in its column, not again at the start of the message', () => {
    expect(problems.map((p) => p.field).sort()).toEqual(['spec.limits.memoryPages', 'spec.module.ref']);
    for (const p of problems) {
      expect(p.message.startsWith(p.field), p.message).toBe(false);
      expect(formatProblem(p)).not.toContain(`${p.field}: ${p.field}`);
    }
    expect(problems.find((p) => p.field === 'spec.limits.memoryPages')?.message).toMatch(/^must be >= 1, got 0/);
  });
});
