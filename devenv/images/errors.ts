import { FlotillaError } from '../../api/errors.ts';

/** Why an image could not be built, pushed or checked. */
export type ImageBuildErrorCode =
  /** A pinned input (the node binary, a Debian package, a lockfile entry) is not what base.json or package-lock.json says. */
  | 'PinMismatch'
  /** A pinned input cannot be had: a .deb no longer served, a package missing from node_modules. */
  | 'InputMissing'
  /** Two layer entries claim the same path, or a path is not a clean relative one. */
  | 'InvalidEntry'
  /** A flag or environment variable of `npm run images` is missing or malformed. */
  | 'InvalidArgument'
  /** `--check`: the committed digests are not what the committed source builds. */
  | 'DigestsStale';

export class ImageBuildError extends FlotillaError<ImageBuildErrorCode> {}
