// The artifact and trust layer's public API, shared by the CLI, the operator and the node runtime.
// Keep it stable: callers import only from here.
export { OciError, VerifyError, KeyError } from './errors.ts';
export type { OciErrorCode, VerifyErrorCode, KeyErrorCode } from './errors.ts';

export { parseReference, formatReference, repositoryName, withVersion, requireDigest } from './reference.ts';
export type { Reference, RegistryReference, LayoutReference } from './reference.ts';
export { sha256Digest, isDigest } from './digest.ts';
export * as mediaTypes from './media-types.ts';

export type { Descriptor, ImageManifest, ImageIndex, FetchedManifest } from './manifest.ts';
export { parseManifest } from './manifest.ts';
export { buildWasmArtifact, creationTime, wasmLayerOf, parseWasmConfig, wasmKind } from './wasm-artifact.ts';
export type { WasmArtifact, WasmArtifactInput, WasmConfig } from './wasm-artifact.ts';

export type { ArtifactStore, BlobSource, SizeLimits } from './store.ts';
export { DEFAULT_LIMITS } from './store.ts';
export { openStore } from './open.ts';
export type { StoreOptions } from './open.ts';
export { OciLayoutStore, openLayout, readLayout } from './layout/oci-layout.ts';
export { RegistryClient } from './registry/client.ts';
export type { RegistryOptions } from './registry/client.ts';
export { RegistryRepository } from './registry/repository.ts';
export type { UploadOptions } from './registry/repository.ts';
export { dockerConfigCredentials, dockerConfigEntry, staticCredentials } from './registry/credentials.ts';
export type { Credential, CredentialSource, NoCredential } from './registry/credentials.ts';
export { DOCKER_CONFIG_SECRET_TYPE, secretCredentials } from './registry/secret-credentials.ts';
export type { DockerConfigSecret } from './registry/secret-credentials.ts';
export type { TransportOptions } from './registry/transport.ts';

export { pushWasmArtifact, pullWasm, copyManifest, copySignatures } from './transfer.ts';
export type { PulledWasm, Progress } from './transfer.ts';

export { loadPrivateKey, loadPublicKey, publicKeyPem, encodeCosignPrivateKey, generateCosignKeyPair } from './signing/keys.ts';
export type { CosignKeyFiles } from './signing/keys.ts';
export { signArtifact, attachBundle } from './signing/sign.ts';
export type { SignOptions, SignResult } from './signing/sign.ts';
export { verifySignatures } from './signing/verify.ts';
export { verifyBundle, createKeyBundle, signStatement } from './signing/bundle.ts';
export type { BundleResult, BundleVerifyOptions } from './signing/bundle.ts';
export type { Verification, VerifiedSignature, VerifyOptions } from './signing/verify.ts';
export { compilePolicy, checkIdentity } from './signing/policy.ts';
export type { TrustPolicy, TrustedIdentity, CompiledPolicy } from './signing/policy.ts';
export { signatureTag } from './signing/cosign-signature.ts';
export { simpleSigningPayload } from './signing/simple-signing.ts';
