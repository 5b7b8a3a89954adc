/**
 * Cross-field rules, written once as CEL. The API server evaluates them (`x-kubernetes-validations`)
 * and the runtime validator evaluates the very same text with a JS CEL implementation (cel.ts), so a
 * rule cannot drift between admission and the operator or node runtime.
 */

/** One CEL rule as it appears under `x-kubernetes-validations`. */
export interface CelRule {
  /** CEL expression over `self` (the schema node the rule is attached to). */
  readonly rule: string;
  /** What is wrong and how to fix it; names the field. */
  readonly message: string;
  /** CEL producing the message with the offending values; `message` is the fallback. */
  readonly messageExpression?: string;
  /** Field the error is reported on, relative to the node (e.g. `.minInstances`). */
  readonly fieldPath?: string;
  /** The Kubernetes cause type reported by the API server. */
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** Schema options attaching CEL rules to a schema node. */
export function celRules(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/** A CEL string literal holding `s` (e.g. a regular expression for `matches`). */
export function celString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
