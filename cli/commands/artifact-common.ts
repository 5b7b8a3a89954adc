// Shared plumbing of the artifact commands (push, pull, sign, verify, inspect): flags to store
// options, external tool discovery, output. Environment is read here, at the edge, and nowhere in artifacts/.
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';
import { execa } from 'execa';
import { FlotillaError } from '../../api/errors.ts';
import { outputOption, writeOutput } from '../output.ts';
import type { OutputFormat } from '../output.ts';
import { dockerConfigCredentials, OciError, parseReference } from '../../artifacts/index.ts';
import type { ArtifactStore, Reference, StoreOptions, TrustPolicy } from '../../artifacts/index.ts';

/** An external tool (oras, cosign) that ran and failed. */
export class ToolError extends FlotillaError<'ExternalToolFailed'> {}

export interface CommonFlags {
  insecure?: boolean;
  output: OutputFormat;
}

/** Adds the flags every artifact command shares. */
export function commonOptions(cmd: Command): Command {
  return cmd
    .option('--insecure', 'plain http to a non-loopback registry (loopback registries always use http)')
    .addOption(outputOption(['table', 'json', 'yaml', 'name'], 'the result (name: the pinned repository@digest)'));
}

export function parseRef(value: string): Reference {
  return parseReference(value);
}

/** Store options from flags and the docker config that `docker/oras/cosign login` write. */
export function storeOptions(flags: CommonFlags, extra: Partial<StoreOptions> = {}): StoreOptions {
  const dir = process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker');
  return { credentials: dockerConfigCredentials(dir), insecure: flags.insecure === true, ...extra };
}

/** The digest a reference names, resolving its tag once (then pinned: the digest is what is used). */
export async function resolveDigest(store: ArtifactStore, ref: Reference): Promise<string> {
  if (ref.digest !== undefined) return ref.digest;
  if (ref.tag === undefined) throw new FlotillaError('InvalidArgument', `${store.location}: expected a reference with a :tag or @digest, got neither`);
  const desc = await store.resolve(ref.tag);
  if (desc === undefined) throw new OciError('ManifestNotFound', `${store.location}:${ref.tag}: expected the tag to exist, got none`);
  return desc.digest;
}

/** Writes the result in the `-o` format: the document for json/yaml, `name` (the pinned reference), else the text lines. */
export function emit(flags: CommonFlags, json: unknown, text: string, name?: string): void {
  writeOutput(flags.output, json, () => text, () => (name !== undefined ? [name] : []));
}

/** Progress on stderr, never on stdout (which carries -o json). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** An external tool: `$FLOTILLA_<NAME>` when set, else the first executable `<name>` on PATH. */
export function findTool(name: 'oras' | 'cosign'): string | undefined {
  const explicit = process.env[`FLOTILLA_${name.toUpperCase()}`];
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs a tool, streaming its stderr as progress; ExternalToolFailed with its output on failure. */
export async function runTool(tool: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const result = await execa(tool, args, { env, reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    throw new ToolError('ExternalToolFailed', `${tool} ${args.join(' ')}: expected exit 0, got ${result.exitCode ?? result.signal}: ${String(result.stderr).trim().slice(-800)}`);
  }
  return String(result.stdout);
}

/** Loopback hosts are plain http for oras/cosign too, as for the native client. */
export function isPlainHttp(ref: Reference, flags: CommonFlags): boolean {
  return ref.kind === 'registry' && (flags.insecure === true || /^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])(?::\d+)?$/.test(ref.registry));
}

/** Trust policy from --policy (JSON, the policies/ ConfigMap shape) and/or --key/--certificate-* flags. */
export async function trustPolicy(flags: { key?: string[]; policy?: string; certificateIdentity?: string; certificateIdentityRegexp?: string; certificateOidcIssuer?: string }): Promise<TrustPolicy> {
  let keys: string[] = [];
  let identities: TrustPolicy['identities'][number][] = [];
  if (flags.policy !== undefined) {
    const text = await readFile(flags.policy, 'utf8');
    let parsed: Partial<TrustPolicy>;
    try {
      parsed = JSON.parse(text) as Partial<TrustPolicy>;
    } catch (cause) {
      throw new FlotillaError('InvalidArgument', `--policy ${flags.policy}: expected JSON {keys, identities}, got unparseable text`, { cause });
    }
    keys = [...(parsed.keys ?? [])];
    identities = [...(parsed.identities ?? [])];
  }
  for (const file of flags.key ?? []) keys.push(await readFile(file, 'utf8'));
  if (flags.certificateOidcIssuer !== undefined || flags.certificateIdentity !== undefined || flags.certificateIdentityRegexp !== undefined) {
    if (flags.certificateOidcIssuer === undefined) throw new FlotillaError('InvalidArgument', '--certificate-oidc-issuer: expected an issuer with --certificate-identity[-regexp], got none');
    identities.push({
      issuer: flags.certificateOidcIssuer,
      ...(flags.certificateIdentity !== undefined ? { subject: flags.certificateIdentity } : {}),
      ...(flags.certificateIdentityRegexp !== undefined ? { subjectRegExp: flags.certificateIdentityRegexp } : {}),
    });
  }
  if (keys.length === 0 && identities.length === 0) {
    throw new FlotillaError('InvalidArgument', 'expected --key, --policy or --certificate-identity with --certificate-oidc-issuer, got none: nothing would be trusted');
  }
  return { keys, identities };
}

/** Collects a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

