/** The trust policy of a standalone node or a CLI run, from files named on the command line. */
import { readFile } from 'node:fs/promises';
import type { TrustPolicy } from '../../artifacts/index.ts';
import { NodeRuntimeError } from '../errors.ts';

/** Reads PEM public keys and an optional TrustPolicy JSON ({ keys: PEM[], identities: [...] }) into one policy. */
export async function loadTrust(keyFiles: readonly string[], policyFile?: string): Promise<TrustPolicy> {
  const keys: string[] = [];
  const identities: TrustPolicy['identities'][number][] = [];
  if (policyFile !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(policyFile, 'utf8'));
    } catch (err) {
      throw new NodeRuntimeError('InvalidArgument', `--trust-policy ${policyFile}: expected a JSON file { "keys": [PEM...], "identities": [...] }, got: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const p = parsed as Partial<TrustPolicy>;
    if (!Array.isArray(p.keys) || !Array.isArray(p.identities)) {
      throw new NodeRuntimeError('InvalidArgument', `--trust-policy ${policyFile}: expected "keys" and "identities" arrays, got ${Object.keys(parsed ?? {}).join(', ') || 'neither'}`);
    }
    keys.push(...(p.keys as string[]));
    identities.push(...(p.identities as TrustPolicy['identities'][number][]));
  }
  for (const file of keyFiles) {
    try {
      keys.push(await readFile(file, 'utf8'));
    } catch (err) {
      throw new NodeRuntimeError('InvalidArgument', `--trust-key ${file}: expected a readable PEM public key file, got: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return { keys, identities };
}
