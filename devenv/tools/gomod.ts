/**
 * Pure go.mod handling for wrapper builds: a module such as k8s.io/kubernetes publishes a go.mod
 * whose replace lines point at directories inside its own repository (./staging/src/k8s.io/api),
 * which `go install module@version` refuses. A wrapper module that requires it and re-states those
 * replaces against the published versions builds it as released.
 */

export interface Replace {
  /** Left side, e.g. `k8s.io/api` or `github.com/x/y v1.2.3`. */
  readonly from: string;
  /** Right side path (module path or local dir). */
  readonly to: string;
  /** Right side version; absent for a local dir. */
  readonly toVersion?: string;
}

export interface GoModInfo {
  readonly goVersion: string | undefined;
  readonly replaces: readonly Replace[];
}

/** Extracts the `go` line and every replace directive (single-line and block form). */
export function parseGoMod(text: string): GoModInfo {
  let goVersion: string | undefined;
  const replaces: Replace[] = [];
  let inReplaceBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    if (inReplaceBlock) {
      if (line === ')') inReplaceBlock = false;
      else replaces.push(parseReplace(line));
      continue;
    }
    const go = /^go\s+(\S+)$/.exec(line);
    if (go) goVersion = go[1];
    else if (/^replace\s*\($/.test(line)) inReplaceBlock = true;
    else if (line.startsWith('replace ')) replaces.push(parseReplace(line.slice('replace '.length)));
  }
  return { goVersion, replaces };
}

function parseReplace(line: string): Replace {
  const [left, right] = line.split('=>').map((s) => s.trim());
  if (!left || !right) throw new Error(`go.mod replace: expected 'old => new', got '${line}'`);
  const [to, toVersion] = right.split(/\s+/);
  if (!to) throw new Error(`go.mod replace: expected a target after '=>', got '${line}'`);
  return toVersion ? { from: left, to, toVersion } : { from: left, to };
}

/** A replace target on disk (inside the module's repository) rather than a module. */
export function isLocal(r: Replace): boolean {
  return r.to.startsWith('./') || r.to.startsWith('../') || r.to.startsWith('/');
}

/**
 * Rewrites local-dir replaces to `path => path <published version>`, picking the version by the
 * longest matching module-path prefix in `localVersions`; other replaces are kept as written. A
 * prefix mapped to `drop` removes the replace (etcd uses `=> ./FORBIDDEN_DEPENDENCY` as a guard).
 */
export function resolveReplaces(replaces: readonly Replace[], localVersions: Readonly<Record<string, string>>): Replace[] {
  return replaces.flatMap((r) => {
    if (!isLocal(r)) return [r];
    const path = r.from.split(/\s+/)[0] ?? r.from;
    const prefix = Object.keys(localVersions)
      .filter((p) => path.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined) {
      throw new Error(
        `go.mod replace '${r.from} => ${r.to}' points at a local dir; expected a localReplaces prefix in devenv/tools/versions.json matching '${path}'`,
      );
    }
    const version = localVersions[prefix];
    return version === 'drop' ? [] : [{ from: path, to: path, toVersion: version }];
  });
}

/** The wrapper module's go.mod: require the module and carry its (resolved) replaces. */
export function wrapperGoMod(opts: {
  readonly module: string;
  readonly version: string;
  readonly goVersion: string | undefined;
  readonly replaces: readonly Replace[];
}): string {
  const lines = ['module flotilla.local/toolbuild', '', `go ${opts.goVersion ?? '1.24'}`, '', `require ${opts.module} ${opts.version}`, ''];
  if (opts.replaces.length > 0) {
    lines.push('', 'replace (');
    for (const r of opts.replaces) lines.push(`\t${r.from} => ${r.to}${r.toVersion ? ` ${r.toVersion}` : ''}`);
    lines.push(')');
  }
  return lines.join('\n') + '\n';
}
