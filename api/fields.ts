/**
 * Schema building blocks shared by the kinds. Every object is closed (`additionalProperties: false`)
 * for the runtime validator; openapi.ts drops that keyword for the CRD, where the API server rejects
 * unknown fields through strict field validation instead.
 */
import Type from 'typebox';
import type { TProperties, TSchemaOptions } from 'typebox';
import { DIGEST } from './digest.ts';

/** A closed object with a description (required on every field: it is what `kubectl explain` shows). */
export function obj<P extends TProperties>(description: string, properties: P, options: TSchemaOptions = {}) {
  return Type.Object(properties, { ...options, description, additionalProperties: false });
}

/** RFC 1123 label: the shape of names that end up in DNS, labels and metric labels. */
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** Name of another object in the same namespace. */
export function objectName(description: string) {
  return Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, description });
}

/** A string -> string map such as a node selector. */
export function stringMap(description: string) {
  return Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 63, description: 'Label value.' }), { maxProperties: 32, description });
}

/** Hostname (RFC 1123), optionally with one leading `*.` wildcard label. */
export const HOSTNAME = '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/**
 * An OCI reference pinned by digest: `<registry>[:port]/<repository>@sha256:<64 hex>`.
 * Also the CEL rule, so the API server and the validator say the same thing about a tag.
 */
export const DIGEST_REF =
  '^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)+@' + DIGEST + '$';

/** Metadata as Flotilla reads it. */
export const ObjectMetaSchema = Type.Object(
  {
    // Shape of the name is a CEL rule at the object root (kinds.ts NAME_RULE), as the CRD requires.
    name: Type.String({ minLength: 1, description: 'Object name: a DNS label of at most 63 characters.' }),
    namespace: Type.Optional(Type.String({ maxLength: 63, pattern: DNS_LABEL, description: 'Namespace of the object.' })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Labels.' })),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Annotations.' })),
    generation: Type.Optional(Type.Integer({ description: 'Generation set by the API server.' })),
  },
  // Open: objects read back from the API server carry uid, managedFields, ... which are not ours to check.
  { description: 'Standard object metadata.' },
);
export type ObjectMeta = Type.Static<typeof ObjectMetaSchema>;
