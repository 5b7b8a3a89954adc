/**
 * One problem `flotilla check` found: where (file, object, field) and what to do. Each renders as one
 * line so a CI log reads like a compiler's.
 */
import { FlotillaError } from '../../api/errors.ts';

export interface CheckProblem {
  /** Path of the file, relative to the repository root (e.g. gitops/clusters/edge-a/wasmfunction_functions_echo.yaml). */
  readonly file: string;
  /** `Kind namespace/name`, or `-` when the file holds no readable object. */
  readonly object: string;
  /** Dotted field path (`spec.module.ref`), or `-` for the whole object. */
  readonly field: string;
  readonly message: string;
}

/**
 * Codes of a failed check: problems were found, or the inputs could not be read (the rendered tree,
 * the repository's cdk8s.yaml) or rendered (its `app` command failed).
 */
export const CHECK_ERROR_CODES = ['CheckFailed', 'GitopsUnreadable', 'SynthConfigNotFound', 'SynthConfigInvalid', 'SynthFailed'] as const;

/** One of CHECK_ERROR_CODES; each has its own exit code in cli/exit-codes.ts. */
export type CheckErrorCode = (typeof CHECK_ERROR_CODES)[number];

/** A check that could not run, or found problems. */
export class CheckError extends FlotillaError<CheckErrorCode> {}

/** `file: object: field: message`, the one-line form CI prints. */
export function formatProblem(p: CheckProblem): string {
  // One line each, even when a cause (a YAML parser's, a registry's) spans several.
  return `${p.file}: ${p.object}: ${p.field}: ${p.message.trim().replace(/\s*\n\s*/g, ' ')}`;
}

/** `Kind namespace/name` (or `Kind name` for cluster-scoped objects) of a parsed document. */
export function objectName(doc: unknown): string {
  const o = (doc ?? {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof o.kind !== 'string' && typeof o.metadata?.name !== 'string') return '-';
  const kind = typeof o.kind === 'string' ? o.kind : '?';
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '?';
  return typeof o.metadata?.namespace === 'string' ? `${kind} ${o.metadata.namespace}/${name}` : `${kind} ${name}`;
}
