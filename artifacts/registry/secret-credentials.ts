/**
 * Registry credentials from Kubernetes Secrets of type `kubernetes.io/dockerconfigjson` (what
 * `kubectl create secret docker-registry` writes), as kubelet reads imagePullSecrets: the Secrets
 * in order, the first with an entry for the host wins. Read through a getter, so the operator and
 * the node runtime each use their own client and permissions; read at each lookup, so a rotated
 * password applies to the next pull. Messages name the Secrets, never their content.
 */
import { OciError } from '../errors.ts';
import { dockerConfigEntry } from './credentials.ts';
import type { Credential, CredentialSource, NoCredential } from './credentials.ts';

/** A Secret as the API server returns it (data values base64). */
export interface DockerConfigSecret {
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}

export const DOCKER_CONFIG_SECRET_TYPE = 'kubernetes.io/dockerconfigjson';
const KEY = '.dockerconfigjson';

/** `names`' credentials in `namespace`; `get` resolves undefined for a Secret that does not exist. `setBy` names the field that lists them, for the fix in messages. */
export function secretCredentials(get: (name: string) => Promise<DockerConfigSecret | undefined>, namespace: string, names: readonly string[], setBy: string): CredentialSource {
  return async (host): Promise<Credential | NoCredential> => {
    if (names.length === 0) return { missing: `no registry credentials (${setBy} lists no Secret); add a ${DOCKER_CONFIG_SECRET_TYPE} Secret with an entry for ${host} to it` };
    const looked: string[] = [];
    for (const name of names) {
      const where = `Secret ${namespace}/${name}`;
      const secret = await get(name);
      if (secret === undefined) {
        looked.push(`${where} (not found)`);
        continue;
      }
      if (secret.type !== DOCKER_CONFIG_SECRET_TYPE || secret.data?.[KEY] === undefined) {
        throw new OciError('Unauthorized', `${where}: expected type ${DOCKER_CONFIG_SECRET_TYPE} with data ${KEY}, got type ${secret.type ?? 'none'}; create it with kubectl create secret docker-registry`);
      }
      let config: unknown;
      try {
        config = JSON.parse(Buffer.from(secret.data[KEY], 'base64').toString('utf8'));
      } catch (cause) {
        throw new OciError('Unauthorized', `${where}: expected JSON in ${KEY}, got unparseable text; recreate the Secret`, { cause });
      }
      const entry = dockerConfigEntry(config, host, where);
      if (entry) return { ...entry, from: where };
      looked.push(`${where} (no entry for ${host})`);
    }
    return { missing: `no registry credentials for ${host}: ${looked.join(', ')}; add an entry for ${host} to one of them (${setBy})` };
  };
}
