/** A parsed `WWW-Authenticate` challenge (RFC 7235), as registries send on 401. */
export interface Challenge {
  readonly scheme: 'basic' | 'bearer';
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses the first Basic or Bearer challenge of a WWW-Authenticate header value; undefined for none.
 * Pure, so the quoting rules are unit-tested rather than discovered against registries.
 */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null) return undefined;
  const m = /^\s*(Basic|Bearer)\b\s*(.*)$/is.exec(header);
  if (m === null) return undefined;
  const scheme = (m[1] ?? '').toLowerCase() as Challenge['scheme'];
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = m[2] ?? '';
  let p: RegExpExecArray | null;
  while ((p = re.exec(rest)) !== null && p[0] !== '') {
    const key = (p[1] ?? '').toLowerCase();
    params[key] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme, params };
}

/** The `repository:<name>:<actions>` scope the distribution token spec expects. */
export function repositoryScope(repository: string, actions: readonly ('pull' | 'push')[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}
