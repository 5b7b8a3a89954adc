/**
 * The verify stage: a module's signatures checked against the node's trust policy, offline, from
 * the cache entry the pull stage filled (it carries the signatures). Runs before every compile,
 * i.e. every time a module enters the in-memory cache, not only when it was downloaded.
 */
import { openLayout, verifySignatures, VerifyError, type CompiledPolicy, type Verification } from '../../artifacts/index.ts';
import { NodeRuntimeError } from '../errors.ts';

/** Verifies `digest` in the cache entry `entryDir`; SignatureRejected carries the artifact layer's reason code. */
export async function verifyModule(entryDir: string, digest: string, policy: CompiledPolicy, onResult?: (result: string) => void): Promise<Verification> {
  try {
    const result = await verifySignatures(await openLayout(entryDir), digest, policy);
    onResult?.('Verified');
    return result;
  } catch (err) {
    if (err instanceof VerifyError) {
      onResult?.(err.code);
      throw new NodeRuntimeError('SignatureRejected', `module ${digest} refused: ${err.code}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
