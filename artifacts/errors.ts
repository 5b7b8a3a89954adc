import { FlotillaError } from '../api/errors.ts';

/**
 * Registry, transport, layout and artifact-format failures. Each code is a stable reason: it becomes a
 * condition reason on the WasmFunction, a metric label and a CLI exit code (cli/exit-codes.ts).
 */
export type OciErrorCode =
  | 'InvalidReference'
  | 'InvalidArtifact'
  | 'InvalidManifest'
  | 'ManifestNotFound'
  | 'BlobNotFound'
  | 'DigestMismatch'
  | 'SizeMismatch'
  | 'MediaTypeMismatch'
  | 'TooLarge'
  | 'Unauthorized'
  | 'Denied'
  | 'RegistryUnavailable'
  | 'Timeout'
  | 'ProtocolError'
  | 'InsecureRegistry'
  | 'LayoutCorrupt'
  // The caller abandoned the request (TransportOptions.signal: a node shutting down); not a registry fault.
  | 'Aborted';

/** A registry/transport/artifact failure with a closed reason code. */
export class OciError extends FlotillaError<OciErrorCode> {}

/**
 * Why a signature did not verify. Closed and stable: the operator copies the code into
 * `SignatureVerified=False` reasons, the node runtime refuses to cache, the CLI exits with its number.
 */
export type VerifyErrorCode =
  | 'NoSignature'
  | 'DigestMismatch'
  | 'PayloadMismatch'
  | 'UntrustedKey'
  | 'IdentityMismatch'
  | 'IssuerMismatch'
  | 'UntrustedRoot'
  | 'MalformedSignature'
  | 'InvalidPolicy';

/** A signature verification failure with a closed reason code. */
export class VerifyError extends FlotillaError<VerifyErrorCode> {}

/** Failures reading or writing signing keys. */
export type KeyErrorCode = 'InvalidKey' | 'UnsupportedKey' | 'WrongPassword';

/** A signing-key failure with a closed reason code. */
export class KeyError extends FlotillaError<KeyErrorCode> {}
