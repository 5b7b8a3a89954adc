/** `FunctionRoute`: sends HTTP requests matching host, path and method to weighted function backends. */
import Type from 'typebox';
import { ConditionsSchema } from './conditions.ts';
import { HOSTNAME, obj, objectName } from './fields.ts';
import { celRules } from './rules.ts';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const AUTH_TYPES = ['none', 'bearer', 'apiKey'] as const;
export const RETRY_ON = ['5xx', 'timeout', 'connect-failure'] as const;

const BackendSchema = obj('A function receiving a share of the traffic.', {
  functionRef: objectName('Name of the WasmFunction (same namespace).'),
  weight: Type.Integer({ minimum: 0, maximum: 100, format: 'int32', description: 'Percent of requests sent to this backend; the weights of a route sum to 100.' }),
});

const RetriesSchema = obj(
  'Retries of failed requests.',
  {
    attempts: Type.Integer({ minimum: 0, maximum: 10, default: 0, format: 'int32', description: 'Extra attempts after the first; 0 disables retries.' }),
    perTryTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 900000, format: 'int32', description: 'Timeout of each attempt; defaults to timeoutMs.' })),
    retryOn: Type.Array(Type.Enum([...RETRY_ON], { description: 'Failure class.' }), {
      maxItems: 3,
      default: ['5xx', 'connect-failure'],
      description: 'Failures worth retrying: 5xx, timeout, connect-failure.',
      'x-kubernetes-list-type': 'set',
    }),
  },
  { default: {} },
);

const CircuitBreakerSchema = obj('Stops sending to a backend that keeps failing.', {
  consecutiveErrors: Type.Integer({ minimum: 1, maximum: 1000, default: 5, format: 'int32', description: 'Consecutive failures that open the circuit.' }),
  openMs: Type.Integer({ minimum: 100, maximum: 3600000, default: 30000, format: 'int32', description: 'How long the circuit stays open before a trial request.' }),
});

const AuthSchema = obj(
  'Authentication the route requires.',
  {
    type: Type.Enum([...AUTH_TYPES], { default: 'none', description: 'none, bearer (Authorization: Bearer <token>) or apiKey (a header).' }),
    secretRef: Type.Optional(objectName('Secret (same namespace) whose data values are the accepted tokens or keys.')),
    header: Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9-]+$', default: 'x-api-key', description: 'Header carrying the API key (type apiKey).' }),
  },
  {
    default: {},
    ...celRules({
      rule: "self.type == 'none' || has(self.secretRef)",
      message: 'auth.secretRef is required when auth.type is bearer or apiKey; name the Secret holding the accepted tokens',
      fieldPath: '.secretRef',
      reason: 'FieldValueRequired',
    }),
  },
);

const RateLimitSchema = obj(
  'Token-bucket limit of requests per second, per node.',
  {
    requestsPerSecond: Type.Integer({ minimum: 1, maximum: 1000000, format: 'int32', description: 'Sustained rate.' }),
    burst: Type.Integer({ minimum: 1, maximum: 1000000, format: 'int32', description: 'Bucket size: requests allowed at once; at least requestsPerSecond.' }),
  },
  celRules({
    rule: 'self.burst >= self.requestsPerSecond',
    message: 'rateLimit.burst must be >= rateLimit.requestsPerSecond',
    fieldPath: '.burst',
  }),
);

export const FunctionRouteSpecSchema = obj(
  'Desired state of a FunctionRoute.',
  {
    host: Type.String({ minLength: 1, maxLength: 253, pattern: HOSTNAME, description: 'Host header to match (lowercase DNS name, leading *. wildcard allowed).' }),
    pathPrefix: Type.String({ minLength: 1, maxLength: 1024, pattern: '^/[^\\s?#]*$', default: '/', description: 'Path prefix to match, starting with /.' }),
    methods: Type.Array(Type.Enum([...HTTP_METHODS], { description: 'HTTP method.' }), {
      maxItems: 7,
      default: [],
      description: 'Methods to match; empty matches every method.',
      'x-kubernetes-list-type': 'set',
    }),
    backends: Type.Array(BackendSchema, {
      minItems: 1,
      maxItems: 16,
      description: 'Weighted functions behind the route (canary releases); weights sum to 100.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['functionRef'],
    }),
    timeoutMs: Type.Integer({ minimum: 1, maximum: 900000, default: 30000, format: 'int32', description: 'Timeout of the whole request, retries included, in milliseconds.' }),
    retries: RetriesSchema,
    circuitBreaker: Type.Optional(CircuitBreakerSchema),
    auth: AuthSchema,
    rateLimit: Type.Optional(RateLimitSchema),
  },
  celRules(
    {
      rule: 'self.backends.map(b, b.weight).sum() == 100',
      message: 'the weights of spec.backends must sum to 100; adjust the weights',
      fieldPath: '.backends',
    },
    {
      rule: '!has(self.retries.perTryTimeoutMs) || self.retries.perTryTimeoutMs <= self.timeoutMs',
      message: 'retries.perTryTimeoutMs must be <= timeoutMs',
      fieldPath: '.retries.perTryTimeoutMs',
    },
  ),
);

export const FunctionRouteStatusSchema = obj('Observed state of a FunctionRoute.', {
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0, format: 'int64', description: 'metadata.generation the status reflects.' })),
  conditions: Type.Optional(ConditionsSchema),
  url: Type.Optional(Type.String({ maxLength: 2048, description: 'URL the route answers on.' })),
});

export type FunctionRouteSpec = Type.Static<typeof FunctionRouteSpecSchema>;
export type FunctionRouteStatus = Type.Static<typeof FunctionRouteStatusSchema>;
