import { describe, expect, it } from 'vitest';
import { crdFor } from './crd.ts';
import type { JsonSchema } from './openapi.ts';
import { KINDS, WASM_FUNCTION } from './kinds.ts';
import { GROUP } from './group.ts';

/** Every node of a structural schema, with its path. */
function* nodes(s: JsonSchema, path: string): Generator<[string, JsonSchema]> {
  yield [path, s];
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) yield* nodes(v, `${path}.${k}`);
  if (s.items !== undefined) yield* nodes(s.items as JsonSchema, `${path}[]`);
  if (typeof s.additionalProperties === 'object') yield* nodes(s.additionalProperties as JsonSchema, `${path}{}`);
}

describe.each(KINDS.map((k) => [k.kind, k] as const))('CRD of %s', (_kind, def) => {
  const crd = crdFor(def);
  const version = (crd.spec.versions as JsonSchema[])[0] as JsonSchema;
  const schema = (version.schema as JsonSchema).openAPIV3Schema as JsonSchema;
  const spec = (schema.properties as Record<string, JsonSchema>).spec as JsonSchema;
  const status = (schema.properties as Record<string, JsonSchema>).status as JsonSchema;

  it('is named <plural>.flotilla.dev, namespaced, in the flotilla category, with status subresource', () => {
    expect(crd.metadata.name).toBe(`${def.plural}.${GROUP}`);
    expect(crd.spec.scope).toBe('Namespaced');
    expect((crd.spec.names as JsonSchema).categories).toEqual(['flotilla']);
    expect((crd.spec.names as JsonSchema).shortNames).toEqual(def.shortNames);
    expect((version.subresources as JsonSchema).status).toEqual({});
  });

  it('describes and types every field of spec and status, without $ref or closed objects', () => {
    for (const [path, node] of [...nodes(spec, 'spec'), ...nodes(status, 'status')]) {
      expect(node.description, `${path} has no description`).toBeTypeOf('string');
      expect(node.type, `${path} has no type`).toBeTypeOf('string');
      expect(node.$ref, path).toBeUndefined();
      expect(node.additionalProperties === false, path).toBe(false);
      expect(node.anyOf, path).toBeUndefined();
      if (node.type === 'string' && node['x-kubernetes-validations'] !== undefined) expect(node.maxLength, `${path} needs maxLength for the CEL cost budget`).toBeTypeOf('number');
      if (node.type === 'array') expect(node.maxItems, `${path} needs maxItems for the CEL cost budget`).toBeTypeOf('number');
    }
  });

  it('spells out nested defaults in every object default (the API server validates a default as written)', () => {
    for (const [path, node] of nodes(spec, 'spec')) {
      const d = node.default as Record<string, unknown> | undefined;
      if (d === undefined || node.type !== 'object') continue;
      for (const [k, p] of Object.entries((node.properties ?? {}) as Record<string, JsonSchema>)) {
        if (p.default !== undefined) expect(d[k], `${path}.default.${k}`).toEqual(p.default);
      }
    }
  });

  it('bounds every string that a CEL rule reads', () => {
    for (const [path, node] of nodes(spec, 'spec')) {
      for (const rule of (node['x-kubernetes-validations'] ?? []) as { rule: string }[]) {
        for (const m of rule.rule.matchAll(/self\.([a-zA-Z]+)\.matches/g)) {
          const field = (node.properties as Record<string, JsonSchema>)[m[1] as string];
          expect(field?.maxLength, `${path}.${m[1]}`).toBeTypeOf('number');
        }
      }
    }
  });

  it('has an Age column and a Ready column', () => {
    const cols = version.additionalPrinterColumns as JsonSchema[];
    expect(cols.map((c) => c.name)).toContain('Ready');
    expect(cols.at(-1)?.jsonPath).toBe('.metadata.creationTimestamp');
  });
});

describe('WasmFunction CRD', () => {
  it('has the scale subresource and the wide DIGEST column', () => {
    const version = (crdFor(WASM_FUNCTION).spec.versions as JsonSchema[])[0] as JsonSchema;
    expect((version.subresources as JsonSchema).scale).toEqual({
      specReplicasPath: '.spec.scaling.minInstances',
      statusReplicasPath: '.status.readyInstances',
      labelSelectorPath: '.status.selector',
    });
    const cols = version.additionalPrinterColumns as JsonSchema[];
    expect(cols.map((c) => String(c.name).toUpperCase())).toEqual(['READY', 'INSTANCES', 'DESIRED', 'VERIFIED', 'RUNTIME', 'DIGEST', 'AGE']);
    expect(cols.find((c) => c.name === 'Digest')?.priority).toBe(1);
  });
});
