import { assertDigest } from './digest.ts';
import { OciError } from './errors.ts';

/** Where an artifact lives: a remote registry repository or a local OCI image-layout directory. */
export type Reference = RegistryReference | LayoutReference;

/** `host[:port]/repo[:tag][@sha256:hex]` */
export interface RegistryReference {
  readonly kind: 'registry';
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** `oci-layout:/path[:tag][@sha256:hex]`: a directory per the OCI image-layout spec. */
export interface LayoutReference {
  readonly kind: 'layout';
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

const LAYOUT_PREFIX = 'oci-layout:';
// distribution/reference grammar: path components, tag and host.
const COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const MAX_NAME = 255;

function invalid(input: string, why: string): OciError {
  return new OciError(
    'InvalidReference',
    `invalid reference ${JSON.stringify(input)}: ${why}; expected host[:port]/repository[:tag][@sha256:<hex>] or oci-layout:<path>[:tag][@sha256:<hex>]`,
  );
}

/** Splits `rest@digest` and `rest:tag` off a name whose last path segment may carry them. */
function splitTagDigest(input: string, body: string): { name: string; tag?: string; digest?: string } {
  let name = body;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    const d = name.slice(at + 1);
    name = name.slice(0, at);
    try {
      digest = assertDigest(d, 'digest');
    } catch {
      throw invalid(input, `expected digest sha256:<64 lowercase hex> after '@', got ${JSON.stringify(d)}`);
    }
  }
  let tag: string | undefined;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(input, `expected a tag of [A-Za-z0-9_.-] (max 128, not starting with '.' or '-'), got ${JSON.stringify(tag)}`);
  }
  return { name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/**
 * Parses an artifact reference strictly. No implicit `docker.io` and no implicit `latest`: a reference
 * names its registry, and callers decide whether a tag-less, digest-less reference is acceptable.
 */
export function parseReference(input: string): Reference {
  if (input.trim() !== input || input === '') throw invalid(input, 'empty or surrounded by whitespace');
  if (input.startsWith(LAYOUT_PREFIX)) {
    const { name, tag, digest } = splitTagDigest(input, input.slice(LAYOUT_PREFIX.length));
    if (name === '') throw invalid(input, 'expected a directory path after oci-layout:');
    return { kind: 'layout', path: name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
  }
  if (input.includes('://')) throw invalid(input, 'a reference has no URL scheme');
  const { name, tag, digest } = splitTagDigest(input, input);
  const slash = name.indexOf('/');
  if (slash < 0) throw invalid(input, `expected a registry host before the repository, got only ${JSON.stringify(name)}`);
  const registry = name.slice(0, slash);
  const repository = name.slice(slash + 1);
  const looksLikeHost = registry.includes('.') || registry.includes(':') || registry === 'localhost' || registry.startsWith('[');
  if (!looksLikeHost || !HOST_RE.test(registry)) {
    throw invalid(input, `expected a registry host (with a '.' or ':port', or localhost), got ${JSON.stringify(registry)}`);
  }
  if (name.length > MAX_NAME) throw invalid(input, `expected a name of at most ${MAX_NAME} characters, got ${name.length}`);
  for (const component of repository.split('/')) {
    if (!COMPONENT_RE.test(component)) {
      throw invalid(input, `expected repository path components of lowercase [a-z0-9] separated by '.', '_', '__' or '-', got ${JSON.stringify(component)}`);
    }
  }
  return { kind: 'registry', registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The canonical string of a reference (digest preferred over tag when both are present is the caller's choice). */
export function formatReference(ref: Reference): string {
  const base = ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : `${LAYOUT_PREFIX}${ref.path}`;
  return `${base}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The repository part without tag or digest (`host/repo`), as cosign writes it into `docker-reference`. */
export function repositoryName(ref: Reference): string {
  return ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : `${LAYOUT_PREFIX}${ref.path}`;
}

/** The same repository at another tag or digest. */
export function withVersion(ref: Reference, version: { tag?: string; digest?: string }): Reference {
  const { tag: _t, digest: _d, ...base } = ref;
  return { ...base, ...version };
}

/** Requires a digest-pinned reference: tags are resolved and pinned by callers, never trusted (DESIGN §3). */
export function requireDigest(ref: Reference): string {
  if (ref.digest === undefined) {
    throw new OciError('InvalidReference', `${formatReference(ref)}: expected a reference pinned by digest (@sha256:<hex>), got a tag only; resolve the tag first`);
  }
  return ref.digest;
}
