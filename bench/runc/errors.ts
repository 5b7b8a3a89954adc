import { FlotillaError } from '../../api/errors.ts';

/** Why the native runc baseline could not run. */
export type RuncErrorCode =
  /** runc (or gcc and libc6-dev for the static build) is not installed. */
  | 'RuncMissing'
  /** `runc run` exited non-zero; the message carries its stderr. */
  | 'RuncFailed';

export class RuncError extends FlotillaError<RuncErrorCode> {}
