/** `FunctionRoute`: sends HTTP requests matching host, path and method to weighted function backends. */
import Type from 'typebox';
import { ConditionsSchema } from './conditions.ts';
import { HOSTNAME, obj, objectName } from './fields.ts';
import { celRules } from './rules.ts';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const AUTH_TYPES = ['none', 'jwt', 'apiKey', 'mtls'] as const;
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

/** Signature algorithms a JWT may use: asymmetric only (a JWKS is public, so a shared HMAC key in it would be no secret), never `none`. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** CGI variable a claim is passed in: AUTH_ keeps it apart from the CGI meta-variables and from HTTP_*, which a client controls. */
export const CLAIM_ENV = '^AUTH_[A-Z0-9_]{1,64}$';

const JwtSchema = obj(
  'JWT bearer tokens (Authorization: Bearer <jwt>) verified against a JWKS.',
  {
    issuer: Type.String({ minLength: 1, maxLength: 1024, description: 'Expected iss claim, exactly.' }),
    audiences: Type.Array(Type.String({ minLength: 1, maxLength: 1024, description: 'An accepted aud value.' }), {
      minItems: 1,
      maxItems: 16,
      description: 'The aud claim must contain one of these.',
      'x-kubernetes-list-type': 'set',
    }),
    jwksUri: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$', description: 'URL of the JWKS (https; http only on loopback), cached and refetched when a token names an unknown key (rotation).' })),
    jwks: Type.Optional(Type.String({ maxLength: 65536, description: 'The JWKS itself, as JSON (standalone nodes, offline sites).' })),
    algorithms: Type.Array(Type.Enum([...JWT_ALGORITHMS], { description: 'JWS algorithm.' }), {
      minItems: 1,
      maxItems: 10,
      default: ['RS256', 'ES256', 'EdDSA'],
      description: 'Accepted alg values; asymmetric only.',
      'x-kubernetes-list-type': 'set',
    }),
    clockSkewSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 30, format: 'int32', description: 'Tolerance on exp, nbf and iat for clocks that disagree.' }),
    requiredScopes: Type.Array(Type.String({ minLength: 1, maxLength: 128, pattern: '^[!#-\\[\\]-~]+$', description: 'A scope (RFC 6749 scope-token).' }), {
      maxItems: 16,
      default: [],
      description: 'Scopes the token must grant (scope claim, or scp); missing ones answer 403 insufficient_scope.',
      'x-kubernetes-list-type': 'set',
    }),
  },
  celRules({
    rule: 'has(self.jwksUri) != has(self.jwks)',
    message: 'set exactly one of auth.jwt.jwksUri and auth.jwt.jwks: where the keys that sign the tokens are',
    fieldPath: '.jwksUri',
    reason: 'FieldValueRequired',
  }),
);

const ApiKeySchema = obj('API keys in a request header, checked against their SHA-256 digests.', {
  header: Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9-]+$', default: 'x-api-key', description: 'Header carrying the key.' }),
  secretRef: objectName('Secret (same namespace): each data key names a client, its value is the lowercase hex SHA-256 of that client\'s key (keys are random, 32 bytes or more).'),
});

const ClaimSchema = obj('A claim passed to the function.', {
  claim: Type.String({ minLength: 1, maxLength: 128, description: 'Top-level claim name (sub, email, ...); apiKey routes have sub, the client the key belongs to.' }),
  env: Type.String({ pattern: CLAIM_ENV, description: 'CGI variable carrying the claim (AUTH_*, not AUTH_TYPE); absent when the token has no such claim.' }),
}, celRules({ rule: "self.env != 'AUTH_TYPE'", message: 'AUTH_TYPE is the CGI variable naming the auth scheme; pass the claim in another AUTH_* variable', fieldPath: '.env' }));

const AuthSchema = obj(
  'Authentication the route requires; enforced on every node before the function runs.',
  {
    type: Type.Enum([...AUTH_TYPES], { default: 'none', description: 'none, jwt (bearer JWTs against a JWKS), apiKey (a header against hashed keys) or mtls (client certificates: not supported by nodes yet, such a route answers 503).' }),
    jwt: Type.Optional(JwtSchema),
    apiKey: Type.Optional(ApiKeySchema),
    claims: Type.Array(ClaimSchema, {
      maxItems: 16,
      default: [],
      description: 'Claims the function sees, each in the CGI variable it names; nothing else of the credential reaches it.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['env'],
    }),
    passCredential: Type.Boolean({ default: false, description: 'Also pass the raw credential (HTTP_AUTHORIZATION, or the API key header) to the function.' }),
  },
  {
    default: {},
    ...celRules(
      { rule: "self.type != 'jwt' || has(self.jwt)", message: 'auth.jwt is required when auth.type is jwt: name the issuer, audiences and JWKS', fieldPath: '.jwt', reason: 'FieldValueRequired' },
      { rule: "self.type != 'apiKey' || has(self.apiKey)", message: 'auth.apiKey is required when auth.type is apiKey: name the Secret holding the key digests', fieldPath: '.apiKey', reason: 'FieldValueRequired' },
    ),
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
export type RouteAuth = FunctionRouteSpec['auth'];
export type FunctionRouteStatus = Type.Static<typeof FunctionRouteStatusSchema>;
