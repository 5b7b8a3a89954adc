import { describe, expect, it } from 'vitest';
import type { RouteAuth } from './function-route.ts';
import { clusterAuthGap } from './route-auth.ts';

const base = { claims: [], passCredential: false };
const jwt = (jwksUri: string): RouteAuth => ({ ...base, type: 'jwt', jwt: { issuer: 'https://i', audiences: ['a'], jwksUri, algorithms: ['ES256'], clockSkewSeconds: 30, requiredScopes: [] } });

describe('clusterAuthGap', () => {
  const cases: [string, RouteAuth, string | undefined][] = [
    ['none', { ...base, type: 'none' }, undefined],
    ['jwt over https', jwt('https://i/jwks'), undefined],
    ['jwt over http on loopback', jwt('http://127.0.0.1:8080/jwks'), undefined],
    ['jwt over http elsewhere', jwt('http://keys.example/jwks'), 'spec.auth.jwt.jwksUri'],
    ['apiKey (nodes read no Secrets)', { ...base, type: 'apiKey', apiKey: { header: 'x-api-key', secretRef: 'keys' } }, 'spec.auth.apiKey.secretRef'],
    ['mtls', { ...base, type: 'mtls' }, 'spec.auth.type'],
  ];
  it.each(cases)('%s', (_name, auth, field) => {
    expect(clusterAuthGap(auth)?.field).toBe(field);
  });
});
