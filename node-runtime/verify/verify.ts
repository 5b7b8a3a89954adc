/**
 * The verify stage: a module's signatures checked against the node's trust policy, offline, from
 * the cache entry the pull stage filled (it carries the signatures), read once and never written
 * (readLayout). What verified is remembered (VerifiedSet) per manifest digest and trust policy, so
 * a module that leaves memory (scale to zero, an evicted compiled module) comes back without being
 * verified again: only its wasm layer is read and re-hashed. After a restart the set is empty and
 * each module is verified again once, from its entry.
 */
import { createHash } from 'node:crypto';
import { readLayout, verifySignatures, VerifyError, wasmLayerOf, type CompiledPolicy, type Descriptor, type OciLayoutStore, type VerifiedSignature } from '../../artifacts/index.ts';
import { NodeRuntimeError } from '../errors.ts';

/** A module that verified: its manifest digest and the wasm layer that manifest names (what a re-read must hash to). */
export interface VerifiedModule {
  readonly digest: string;
  readonly wasm: Descriptor;
}

/** Verifies `digest` in the cache entry `entry`; SignatureRejected carries the artifact layer's reason code. */
export async function verifyModule(entry: string | OciLayoutStore, digest: string, policy: CompiledPolicy, onResult?: (result: string, signers?: readonly VerifiedSignature[]) => void): Promise<VerifiedModule> {
  const layout = typeof entry === 'string' ? readLayout(entry) : entry;
  try {
    const { signatures } = await verifySignatures(layout, digest, policy);
    onResult?.('Verified', signatures);
  } catch (err) {
    if (err instanceof VerifyError) {
      onResult?.(err.code);
      throw new NodeRuntimeError('SignatureRejected', `module ${digest} refused: ${err.code}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  // Verification read the manifest already (and checked its digest): this is answered from memory.
  const manifest = await layout.getManifest(digest);
  if (manifest.kind !== 'manifest') throw new NodeRuntimeError('InvalidModule', `module ${digest}: expected an image manifest, got an index`);
  return { digest, wasm: wasmLayerOf(manifest.manifest, `module ${digest}`) };
}

/** Fingerprints by policy object: a policy is compiled once and asked for at every load. */
const fingerprints = new WeakMap<CompiledPolicy, string>();

/** What a trust policy trusts, as a short string: equal policies (the same keys and identities) give the same one. */
export function policyFingerprint(policy: CompiledPolicy): string {
  let fp = fingerprints.get(policy);
  if (fp === undefined) {
    const trusted = JSON.stringify([policy.keys.map((k) => k.pem.trim()).sort(), policy.identities.map((i) => i.source)]);
    fp = createHash('sha256').update(trusted).digest('hex').slice(0, 32);
    fingerprints.set(policy, fp);
  }
  return fp;
}

/**
 * Modules verified in this process, per manifest digest and trust-policy fingerprint: a policy
 * edit (a key revoked) changes the fingerprint, so every module is verified again under the new
 * policy. One small entry per digest and policy; forgotten when its entry fails its digest check.
 */
export class VerifiedSet {
  private readonly byKey = new Map<string, VerifiedModule>();

  /** The module `digest` as verified under `policy`, or undefined when it must be verified. */
  get(digest: string, policy: CompiledPolicy): VerifiedModule | undefined {
    return this.byKey.get(`${digest} ${policyFingerprint(policy)}`);
  }

  add(module: VerifiedModule, policy: CompiledPolicy): void {
    this.byKey.set(`${module.digest} ${policyFingerprint(policy)}`, module);
  }

  /** Forgets `digest` under every policy (its disk entry is gone or no longer matches). */
  forget(digest: string): void {
    for (const key of this.byKey.keys()) if (key.startsWith(`${digest} `)) this.byKey.delete(key);
  }
}
