import type { ReasonCode } from '../../api/index.ts';

/** The outcome of checking a module against the trust policy, as conditions need it. */
export type Verification =
  | { readonly ok: true; readonly digest: string }
  | { readonly ok: false; readonly condition: 'SignatureVerified' | 'ModuleAvailable'; readonly reason: ReasonCode; readonly message: string };

/** The pull credentials a module is verified with: its pool's `spec.registryCredentials` Secrets. */
export interface RegistryCredentialsRef {
  /** The WasmRuntime's namespace, where the Secrets are. */
  readonly namespace: string;
  /** The WasmRuntime, for messages. */
  readonly runtime: string;
  readonly secrets: readonly string[];
}

/** Verifies modules for the operator; resolves only when `ref` is signed per the named trust policy. */
export interface ModuleVerifier {
  verify(ref: string, trustPolicy: string, credentials?: RegistryCredentialsRef): Promise<Verification>;
}

/** Verification error codes (artifacts/ VerifyError, OciError, trust policy lookup) → condition and reason. */
const REASONS: Readonly<Record<string, { condition: 'SignatureVerified' | 'ModuleAvailable'; reason: ReasonCode }>> = {
  NoSignature: { condition: 'SignatureVerified', reason: 'NoSignature' },
  DigestMismatch: { condition: 'SignatureVerified', reason: 'DigestMismatch' },
  PayloadMismatch: { condition: 'SignatureVerified', reason: 'InvalidSignature' },
  MalformedSignature: { condition: 'SignatureVerified', reason: 'InvalidSignature' },
  UntrustedKey: { condition: 'SignatureVerified', reason: 'UntrustedKey' },
  IdentityMismatch: { condition: 'SignatureVerified', reason: 'IdentityMismatch' },
  IssuerMismatch: { condition: 'SignatureVerified', reason: 'IssuerMismatch' },
  UntrustedRoot: { condition: 'SignatureVerified', reason: 'UntrustedRoot' },
  InvalidPolicy: { condition: 'SignatureVerified', reason: 'TrustPolicyNotFound' },
  TrustPolicyNotFound: { condition: 'SignatureVerified', reason: 'TrustPolicyNotFound' },
  ManifestNotFound: { condition: 'ModuleAvailable', reason: 'ManifestNotFound' },
  BlobNotFound: { condition: 'ModuleAvailable', reason: 'ManifestNotFound' },
  InvalidArtifact: { condition: 'ModuleAvailable', reason: 'NotWasmArtifact' },
  MediaTypeMismatch: { condition: 'ModuleAvailable', reason: 'NotWasmArtifact' },
  TooLarge: { condition: 'ModuleAvailable', reason: 'ModuleTooLarge' },
  Unauthorized: { condition: 'ModuleAvailable', reason: 'Unauthorized' },
  Denied: { condition: 'ModuleAvailable', reason: 'Unauthorized' },
};

/**
 * The verification failure for a thrown error: a known code keeps its precise reason; anything else
 * (network, timeouts, a registry that is down) means we could not reach the module.
 */
export function failureFor(err: unknown): Verification & { ok: false } {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const known = typeof code === 'string' ? REASONS[code] : undefined;
  return known ? { ok: false, ...known, message } : { ok: false, condition: 'ModuleAvailable', reason: 'RegistryUnreachable', message };
}
