/** The CustomResourceDefinition of a kind, generated from its schemas (never written by hand). */
import { CATEGORY, GROUP, VERSION } from './group.ts';
import type { KindDefinition } from './kinds.ts';
import { NAME_RULE } from './kinds.ts';
import { toOpenApi } from './openapi.ts';
import type { JsonSchema } from './openapi.ts';

/** A CRD manifest as plain data (apiextensions.k8s.io/v1). */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: JsonSchema;
}

/** The `openAPIV3Schema` of a kind: apiVersion, kind, metadata, spec and status. */
export function crdSchema(def: KindDefinition): JsonSchema {
  return {
    type: 'object',
    description: def.description,
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { type: 'object' },
      spec: toOpenApi(def.spec),
      status: toOpenApi(def.status),
    },
    ...NAME_RULE,
  };
}

/** The CRD of a kind. */
export function crdFor(def: KindDefinition): CustomResourceDefinition {
  const subresources: JsonSchema = { status: {} };
  if (def.scale !== undefined) subresources.scale = { ...def.scale };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'flotilla' } },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: [...def.shortNames],
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: crdSchema(def) },
          subresources,
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
        },
      ],
    },
  };
}
