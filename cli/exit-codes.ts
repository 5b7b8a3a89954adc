/**
 * CLI exit codes per error code. 0 success, 1 internal error, 2 usage error; every FlotillaError code
 * a user can act on gets its own number here so scripts can branch on it. Subsystems add their codes
 * to this table; an unknown code exits 1.
 */
export const EXIT_CODES: Readonly<Record<string, number>> = {
  InvalidArgument: 2,
  // operator/kubeconfig.ts
  KubeConfigNotFound: 40,
  KubeConfigInvalid: 41,
};

/** The exit code for a FlotillaError code. */
export function exitCodeFor(code: string): number {
  return EXIT_CODES[code] ?? 1;
}
