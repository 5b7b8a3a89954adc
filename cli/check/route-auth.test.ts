import { describe, expect, it } from 'vitest';
import { routeAuthProblems } from './route-auth.ts';
import { schemaProblems } from './schema.ts';

const route = (name: string, auth: string) => `apiVersion: flotilla.dev/v1alpha1
kind: FunctionRoute
metadata:
  name: ${name}
  namespace: edge
spec:
  host: api.example
  backends:
    - functionRef: f
      weight: 100
${auth}`;

describe('routeAuthProblems', () => {
  it('flags the routes nodes cannot enforce, naming the field, and passes the others', () => {
    const content = [
      route('open', ''),
      route('jwt', '  auth:\n    type: jwt\n    jwt:\n      issuer: https://i\n      audiences: [a]\n      jwksUri: https://i/jwks\n'),
      route('certs', '  auth:\n    type: mtls\n'),
      route('keys', '  auth:\n    type: apiKey\n    apiKey:\n      secretRef: keys\n'),
    ].join('---\n');
    const { docs, problems } = schemaProblems([{ path: 'gitops/routes.yaml', content }]);
    expect(problems).toEqual([]);
    expect(routeAuthProblems(docs).map((p) => `${p.object} ${p.field}`)).toEqual(['FunctionRoute edge/certs spec.auth.type', 'FunctionRoute edge/keys spec.auth.apiKey.secretRef']);
  });
});
