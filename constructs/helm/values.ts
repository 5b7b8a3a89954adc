/**
 * The chart's values: the few knobs a release sets, written once as a TypeBox schema that yields
 * the TS type and values.schema.json, which Helm checks on every install, upgrade, template and
 * lint: an unknown key or a tag where a digest belongs is refused before anything is applied.
 */
import Type from 'typebox';
import type { Static } from 'typebox';
import { DNS_LABEL } from '../../api/index.ts';

const REGISTRY = '^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]{1,5})?$';
const REPOSITORY = '^[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$';
const DIGEST = '^sha256:[a-f0-9]{64}$';
const PEM_KEY = '^-----BEGIN PUBLIC KEY-----\\n[\\s\\S]+\\n-----END PUBLIC KEY-----\\n?$';

const image = (what: string) =>
  Type.Object(
    {
      repository: Type.String({ pattern: REPOSITORY, description: `Repository of the ${what} image in images.registry.` }),
      digest: Type.String({ pattern: DIGEST, description: `The ${what} image's manifest digest (sha256:<64 hex>): images are pinned, never a tag.` }),
    },
    { additionalProperties: false },
  );

/** values.yaml's schema (JSON Schema, as Helm reads values.schema.json). */
export const ValuesSchema = Type.Object(
  {
    images: Type.Object(
      {
        registry: Type.String({ pattern: REGISTRY, description: 'Registry host[:port] serving the operator and node runtime images (a mirror of it works the same).' }),
        operator: image('operator'),
        nodeRuntime: Type.Object(
          {
            version: Type.String({ minLength: 1, maxLength: 63, pattern: '^[0-9A-Za-z][-0-9A-Za-z.+_]*$', description: 'The WasmRuntime spec.version this image runs; a pool of another version is refused.' }),
            repository: image('node runtime').properties.repository,
            digest: image('node runtime').properties.digest,
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    watchNamespace: Type.String({ maxLength: 63, pattern: `(${DNS_LABEL})|^$`, description: 'The one namespace whose Flotilla objects the operator reconciles; empty: every namespace.' }),
    logLevel: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace')], { description: "The operator's log level." }),
    operator: Type.Object(
      {
        replicas: Type.Integer({ minimum: 1, maximum: 10, description: 'Operator replicas; one leads through a Lease.' }),
        hostNetwork: Type.Boolean({ description: "Run the operator in its node's network namespace (a site whose pods have no route to the API server, e.g. no kube-proxy)." }),
        metricsPort: Type.Integer({ minimum: 1, maximum: 65535, description: 'Port of /metrics, /healthz, /readyz; with hostNetwork, a free port of every node.' }),
      },
      { additionalProperties: false },
    ),
    trustPolicy: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, description: 'ConfigMap name, which a WasmRuntime names in spec.trustPolicyRef.name.' }),
        keys: Type.Array(Type.String({ pattern: PEM_KEY, description: 'A trusted cosign public key (PEM, ECDSA P-256).' }), { maxItems: 64 }),
        identities: Type.Array(
          Type.Object(
            {
              issuer: Type.String({ minLength: 1, description: 'OIDC issuer of a trusted keyless signer.' }),
              subject: Type.Optional(Type.String({ minLength: 1, description: 'Exact certificate subject.' })),
              subjectRegExp: Type.Optional(Type.String({ minLength: 1, description: 'Certificate subject pattern (RE2, anchored).' })),
            },
            { additionalProperties: false },
          ),
          { maxItems: 64 },
        ),
      },
      { additionalProperties: false, description: 'Signing keys and keyless identities the cluster trusts. Empty lists trust nothing (deny by default).' },
    ),
    nodePools: Type.Array(
      Type.Object(
        {
          namespace: Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, description: 'Namespace of the WasmRuntime.' }),
          name: Type.String({ minLength: 1, maxLength: 50, pattern: DNS_LABEL, description: 'Name of the WasmRuntime.' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 64, description: 'The WasmRuntime pools whose node runtimes may read the trust policy.' },
    ),
  },
  { additionalProperties: false },
);

/** A release's values. */
export type ChartValues = Static<typeof ValuesSchema>;

/** values.schema.json's text. */
export function valuesSchemaJson(): string {
  return `${JSON.stringify({ $schema: 'https://json-schema.org/draft-07/schema#', ...JSON.parse(JSON.stringify(ValuesSchema)) }, null, 2)}\n`;
}
