/**
 * The base of every error Flotilla raises on purpose.
 *
 * `code` is drawn from a closed union per subsystem (e.g. `OciError extends FlotillaError<'DigestMismatch' | ...>`);
 * it becomes the condition `reason`, the Event reason, the metric label and the CLI exit code, so it is
 * CamelCase and stable. Chain the underlying failure with `{ cause }` instead of flattening it into the message.
 */
export class FlotillaError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `err` is a FlotillaError, optionally one of the given codes. */
export function isFlotillaError<C extends string>(err: unknown, ...codes: C[]): err is FlotillaError<C> {
  return err instanceof FlotillaError && (codes.length === 0 || codes.includes(err.code as C));
}
