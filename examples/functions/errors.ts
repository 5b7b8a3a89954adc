import { FlotillaError } from '../../api/errors.ts';

/** Why an example function could not be built. */
export type ExampleBuildErrorCode =
  /** The name is not in the catalog (examples/functions/catalog.ts). */
  | 'UnknownExample'
  /** A compiler, linker, sysroot or npm package is not installed; the message says how to get it. */
  | 'ToolchainMissing'
  /** The compiler ran and failed; the message carries its diagnostics. */
  | 'BuildFailed';

/** An example build failure with a closed code and a message that says what to do. */
export class ExampleBuildError extends FlotillaError<ExampleBuildErrorCode> {}
