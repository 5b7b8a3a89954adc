import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciError } from '../errors.ts';

/** Credentials for one registry host; `from` names where they came from (a Secret), for messages: never the secret itself. */
export type Credential = ({ readonly username: string; readonly password: string } | { readonly identityToken: string }) & { readonly from?: string };

/** No credentials for a host, and why (which Secrets were looked at): what a 401 message says instead of "anonymous". */
export interface NoCredential {
  readonly missing: string;
}

/** Looks up credentials for a registry host. */
export type CredentialSource = (host: string) => Promise<Credential | NoCredential | undefined>;

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
}

/**
 * The entry for `host` of a docker config (`config.json`, or a `kubernetes.io/dockerconfigjson`
 * Secret's `.dockerconfigjson`), keyed by host, `https://host` or `http://host`. `where` names the
 * document in errors.
 */
export function dockerConfigEntry(config: unknown, host: string, where: string): Credential | undefined {
  const auths = (config as DockerConfig | null)?.auths;
  const entry = auths?.[host] ?? auths?.[`https://${host}`] ?? auths?.[`http://${host}`];
  if (entry === undefined) return undefined;
  if (entry.identitytoken) return { identityToken: entry.identitytoken };
  if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OciError('Unauthorized', `${where}: auths["${host}"].auth: expected base64 of user:password, got no ':' after decoding`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

/**
 * Credentials from a docker `config.json` (the file `docker login`, `oras login` and `cosign login`
 * write). `dir` is `$DOCKER_CONFIG` or `~/.docker`, resolved by the caller. Credential helpers
 * (`credsStore`/`credHelpers`) are not executed: edge nodes carry no helper binaries.
 */
export function dockerConfigCredentials(dir: string): CredentialSource {
  let loaded: Promise<DockerConfig> | undefined;
  const file = join(dir, 'config.json');
  return async (host) => {
    loaded ??= readFile(file, 'utf8').then(
      (text) => {
        try {
          return JSON.parse(text) as DockerConfig;
        } catch (cause) {
          throw new OciError('Unauthorized', `${file}: expected JSON docker config, got unparseable text; fix or remove the file`, { cause });
        }
      },
      (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? {} : Promise.reject(e)),
    );
    return dockerConfigEntry(await loaded, host, file);
  };
}

/** Fixed credentials (CLI flags, tests). */
export function staticCredentials(map: Readonly<Record<string, Credential>>): CredentialSource {
  return async (host) => Promise.resolve(map[host]);
}
