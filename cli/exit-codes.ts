/**
 * CLI exit codes per error code. 0 success, 1 internal error, 2 usage error; every FlotillaError code
 * a user can act on gets its own number here so scripts can branch on it. Subsystems add their codes
 * to this table; an unknown code exits 1.
 */
export const EXIT_CODES: Readonly<Record<string, number>> = {
  InvalidArgument: 2,
  // cli/system-errors.ts: operating-system errors the user can fix.
  FileNotFound: 3,
  PermissionDenied: 4,
  AddressInUse: 5,
  AddressNotAvailable: 6,
  ConnectionRefused: 7,
  NotADirectory: 8,
  IsADirectory: 9,
  // artifacts/errors.ts VerifyError: why a signature did not verify (DigestMismatch also for OciError).
  NoSignature: 10,
  DigestMismatch: 11,
  PayloadMismatch: 12,
  UntrustedKey: 13,
  IdentityMismatch: 14,
  IssuerMismatch: 15,
  UntrustedRoot: 16,
  MalformedSignature: 17,
  InvalidPolicy: 18,
  // artifacts/errors.ts OciError: registry, transport, layout and artifact format.
  InvalidReference: 20,
  InvalidArtifact: 21,
  InvalidManifest: 22,
  ManifestNotFound: 23,
  BlobNotFound: 24,
  SizeMismatch: 25,
  MediaTypeMismatch: 26,
  TooLarge: 27,
  Unauthorized: 28,
  Denied: 29,
  RegistryUnavailable: 30,
  Timeout: 31,
  ProtocolError: 32,
  InsecureRegistry: 33,
  LayoutCorrupt: 34,
  Aborted: 35,
  // artifacts/errors.ts KeyError, and the oras/cosign runs of cli/commands/artifact-common.ts.
  InvalidKey: 50,
  UnsupportedKey: 51,
  WrongPassword: 52,
  ExternalToolFailed: 53,
  // operator/kubeconfig.ts
  KubeConfigNotFound: 40,
  KubeConfigInvalid: 41,
  // node-runtime/errors.ts NodeRuntimeError (Timeout, InvalidManifest and InvalidArgument share the numbers above).
  RouteNotFound: 60,
  FunctionNotFound: 61,
  ModulePullFailed: 62,
  SignatureRejected: 63,
  CacheCorrupted: 64,
  InvalidModule: 65,
  UnsupportedModule: 66,
  MemoryLimitBelowInitial: 67,
  Overloaded: 68,
  RequestTooLarge: 69,
  Trap: 70,
  StackOverflow: 71,
  MemoryLimitExceeded: 72,
  FunctionExited: 73,
  InvalidResponse: 74,
  ResponseTooLarge: 75,
  WorkerCrashed: 76,
  ShuttingDown: 77,
  RateLimited: 78,
  CircuitOpen: 79,
  HostPathNotAllowed: 90,
  Unauthenticated: 91,
  InsufficientScope: 92,
  AuthUnavailable: 93,
  // api/audit.ts AuditError (flotilla audit verify): a chain broken at the line the message names.
  AuditTampered: 95,
  // cli/check/problem.ts CheckError (flotilla check).
  CheckFailed: 80,
  GitopsUnreadable: 81,
  SynthConfigNotFound: 85,
  SynthConfigInvalid: 86,
  SynthFailed: 87,
  // devenv/fleet/errors.ts FleetError (flotilla up / down / status).
  StepFailed: 82,
  FleetNotUp: 83,
  FleetStartFailed: 84,
};

/** The exit code for a FlotillaError code. */
export function exitCodeFor(code: string): number {
  return EXIT_CODES[code] ?? 1;
}
