/**
 * A minimal Docker token-auth service (distribution "token" auth spec) for the real registry to
 * delegate to: Basic credentials in, an ES256 JWT with the granted repository actions out (x5c
 * header, certificate in the registry's rootcertbundle). Real token services (cesanta/docker_auth,
 * Harbor core) cannot be installed here; this one implements the same wire contract.
 */
import { createHash, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenService {
  readonly realm: string;
  /** Requests seen: user (or "anonymous") and scopes asked. */
  readonly requests: { user: string; scopes: string[] }[];
  close(): Promise<void>;
}

function b64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/** Grants every scope to `user:password`, pull-only to anonymous when `anonymousPull`. */
export async function startTokenService(opts: { service: string; issuer: string; key: KeyObject; certDer: Buffer; user: string; password: string; anonymousPull: boolean }): Promise<TokenService> {
  const requests: { user: string; scopes: string[] }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const auth = req.headers.authorization;
    let user = 'anonymous';
    if (auth?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (u !== opts.user || p !== opts.password) {
        res.writeHead(401).end('{"details":"bad credentials"}');
        return;
      }
      user = u;
    }
    requests.push({ user, scopes });
    if (user === 'anonymous' && !opts.anonymousPull) {
      res.writeHead(401).end('{"details":"authentication required"}');
      return;
    }
    const access = scopes.map((s) => {
      const [type, name, actions] = s.split(':') as [string, string, string];
      const asked = actions.split(',');
      return { type, name, actions: user === 'anonymous' ? asked.filter((a) => a === 'pull') : asked };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [opts.certDer.toString('base64')] };
    const claims = { iss: opts.issuer, sub: user, aud: opts.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: opts.key, dsaEncoding: 'ieee-p1363' });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${input}.${b64url(sig)}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function fingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}
