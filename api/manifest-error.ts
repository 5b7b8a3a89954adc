import { FlotillaError } from './errors.ts';
import type { ValidationError } from './validate.ts';

/** Codes of manifest loading failures. */
export type ManifestErrorCode = 'InvalidYaml' | 'InvalidManifest' | 'ManifestDirUnreadable';

/** One problem in one document of one source. */
export interface ManifestIssue extends ValidationError {
  /** File name (or the label given to parseManifests) and 0-based document index. */
  readonly source: string;
  readonly document: number;
}

/** Rendered manifests that cannot be used; `issues` lists every problem found, not only the first. */
export class ManifestError extends FlotillaError<ManifestErrorCode> {
  readonly issues: readonly ManifestIssue[];

  constructor(code: ManifestErrorCode, message: string, issues: readonly ManifestIssue[] = [], options?: ErrorOptions) {
    super(code, message, options);
    this.issues = issues;
  }
}
