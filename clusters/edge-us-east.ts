/** Virginia edge: Kyverno admission, compute fed by NATS JetStream with a dead letter, state shared by the nodes in a NATS KV bucket of the cluster's own NATS. */
import { FunctionApp } from '../constructs/index.ts';
import type { ClusterOverlay } from './base.ts';

/**
 * The public signing key of the example identity provider, inline (spec.auth.jwt.jwks) so the
 * example fleet's nodes can enforce the route with no IdP reachable (the local fleet is offline).
 * Its private key is in no repository: tokens for this route come from your IdP; replace this
 * with its JWKS, or with jwksUri pointing at it.
 */
const EXAMPLE_IDP_JWKS = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'uzW-oBDi5NHvecq4lTYB_Ut98z6-PdEdoWMU2JqyFGM', y: 'z81lXU8ucEFnkOMTcP6LYCSEjVh43vVhr2zjfcmRZMk', kid: 'example-idp-2026', alg: 'ES256', use: 'sig' }] });

export const EDGE_US_EAST: ClusterOverlay = {
  name: 'edge-us-east',
  region: 'us-east-1',
  kyverno: true,
  // compute's shared state (state.store: nats) and its JOBS stream live on the site's NATS. (`nats: 'install'`
  // would render one into the cluster, a StatefulSet in an early sync wave: the local fleet of `flotilla up`
  // runs no kubelet, so its pods would never be Ready and the pools' wave would wait for ever.)
  nats: { url: 'nats://nats.us-east.flotilla.example:4222' },
  extraIdentities: [{ issuer: 'https://accounts.google.com', subject: 'release@flotilla.example' }],
  network: {
    registry: { cidr: '10.20.0.10/32', ports: [5000] },
    functionEgress: [{ cidr: '10.20.8.0/24', ports: [6379] }],
    // NATS: compute's JetStream trigger and its shared state bucket.
    eventBrokers: [{ cidr: '10.20.8.0/24', ports: [4222] }],
  },
  apps: (cluster, modules) => {
    new FunctionApp(cluster, 'compute', {
      module: modules.compute,
      limits: { memoryPages: 1024, timeoutMs: 10000 },
      capabilities: { env: [{ name: 'REGION', value: 'us-east-1' }] },
      state: { store: 'nats' },
      events: [
        {
          nats: { url: 'nats://nats.us-east.flotilla.example:4222', stream: 'JOBS', subject: 'jobs.compute' },
          deadLetter: 'jobs.compute.dead',
          retry: { maxAttempts: 5, backoff: { initialMs: 200, maxMs: 10000 } },
          concurrency: 4,
        },
      ],
      http: { host: 'compute.edge-us-east.flotilla.example', methods: ['POST'], auth: { type: 'jwt', jwt: { issuer: 'https://auth.flotilla.example', audiences: ['compute'], jwks: EXAMPLE_IDP_JWKS, algorithms: ['ES256'], clockSkewSeconds: 30, requiredScopes: [] }, claims: [{ claim: 'sub', env: 'AUTH_SUB' }] }, timeoutMs: 15000 },
    });
  },
};
