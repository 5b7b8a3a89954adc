/**
 * Keyless verification, offline, against a given trusted root. Fulcio and Rekor cannot run here:
 * sigstore-fixtures.ts builds a test CA, a Fulcio-style certificate, a transparency-log key and its
 * inclusion promise, and the trusted_root.json, then bundles are attached through the REAL referrers
 * registry and verified by our code (@sigstore/verify underneath). No CT log exists in this private
 * Sigstore, so SCTs are not required (ctlogThreshold 0).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachBundle, VerifyError, verifySignatures } from '../../../artifacts/index.ts';
import type { TrustPolicy } from '../../../artifacts/index.ts';
import { harness } from '../../harness/index.ts';
import { pushedArtifact, tempDir } from './helpers.ts';
import { createCa, createTlog, issueLeaf, keylessBundle, trustedRoot } from './sigstore-fixtures.ts';
import type { TestCa } from './sigstore-fixtures.ts';

const CLI = join(import.meta.dirname, '../../../cli/main.ts');
const ISSUER = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'https://github.com/acme/functions/.github/workflows/release.yml@refs/tags/v1.0.0';
const OPTS = { ctlogThreshold: 0 };

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let tlog: ReturnType<typeof createTlog>;
let root: unknown;

function host(): string {
  const zot = harness().zot;
  if (zot === undefined) throw new Error('the harness referrers registry is required for bundle referrers');
  return zot.host;
}

async function signedKeyless(prefix: string, identity = { subject: SUBJECT, issuer: ISSUER }, opts: { ca?: TestCa; bundleDigest?: string; tlog?: ReturnType<typeof createTlog> } = {}) {
  const a = await pushedArtifact(host(), prefix);
  const leaf = await issueLeaf(opts.ca ?? ca, identity);
  const bundle = keylessBundle(leaf, opts.tlog ?? tlog, opts.bundleDigest ?? a.digest);
  const subject = await a.store.resolve(a.digest);
  if (subject === undefined) throw new Error('pushed artifact vanished');
  await attachBundle(a.store, subject, bundle, new Date());
  return { ...a, bundle };
}

async function reason(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'Verified',
    (e: unknown) => {
      if (!(e instanceof VerifyError)) throw e;
      expect(e.message).toMatch(/expected .*got/);
      return e.code;
    },
  );
}

beforeAll(async () => {
  dir = await tempDir('flotilla-keyless-');
  ca = await createCa(dir, 'fulcio');
  otherCa = await createCa(dir, 'other-fulcio');
  tlog = createTlog();
  root = trustedRoot(ca, tlog);
});

describe('keyless Sigstore bundles (private test Sigstore, offline)', () => {
  it('verifies certificate chain, tlog inclusion promise, identity and issuer', async () => {
    const { store, digest } = await signedKeyless('keyless-ok');
    const result = await verifySignatures(store, digest, { keys: [], identities: [{ issuer: ISSUER, subject: SUBJECT }] }, { trustedRoot: root, ...OPTS });
    expect(result.signatures).toEqual([expect.objectContaining({ scheme: 'sigstore-bundle', kind: 'keyless', subject: SUBJECT, issuer: ISSUER })]);
  });

  const policies: [string, TrustPolicy, string][] = [
    ['anchored pattern matches', { keys: [], identities: [{ issuer: ISSUER, subjectRegExp: 'https://github\\.com/acme/.+@refs/tags/v.+' }] }, 'Verified'],
    ['pattern matching only a substring', { keys: [], identities: [{ issuer: ISSUER, subjectRegExp: 'acme/functions' }] }, 'IdentityMismatch'],
    ['another subject', { keys: [], identities: [{ issuer: ISSUER, subject: 'https://github.com/evil/x/.github/workflows/r.yml@refs/heads/main' }] }, 'IdentityMismatch'],
    ['another issuer', { keys: [], identities: [{ issuer: 'https://accounts.google.com', subject: SUBJECT }] }, 'IssuerMismatch'],
    ['keys only', { keys: [], identities: [] }, 'IdentityMismatch'],
  ];
  it.each(policies)('policy: %s -> %s', async (_name, policy, expected) => {
    const { store, digest } = await signedKeyless('keyless-policy');
    expect(await reason(verifySignatures(store, digest, policy, { trustedRoot: root, ...OPTS }))).toBe(expected);
  });

  it('certificate from a CA outside the trusted root: UntrustedRoot', async () => {
    const { store, digest } = await signedKeyless('keyless-ca', undefined, { ca: otherCa });
    expect(await reason(verifySignatures(store, digest, { keys: [], identities: [{ issuer: ISSUER, subject: SUBJECT }] }, { trustedRoot: root, ...OPTS }))).toBe('UntrustedRoot');
  });

  it('inclusion promise from an unknown transparency log: UntrustedRoot', async () => {
    const { store, digest } = await signedKeyless('keyless-tlog', undefined, { tlog: createTlog() });
    expect(await reason(verifySignatures(store, digest, { keys: [], identities: [{ issuer: ISSUER, subject: SUBJECT }] }, { trustedRoot: root, ...OPTS }))).toBe('UntrustedRoot');
  });

  it('no trusted root given: UntrustedRoot', async () => {
    const { store, digest } = await signedKeyless('keyless-noroot');
    expect(await reason(verifySignatures(store, digest, { keys: [], identities: [{ issuer: ISSUER, subject: SUBJECT }] }, OPTS))).toBe('UntrustedRoot');
  });

  it('SCTs required by default: a certificate without any is UntrustedRoot', async () => {
    const { store, digest } = await signedKeyless('keyless-sct');
    expect(await reason(verifySignatures(store, digest, { keys: [], identities: [{ issuer: ISSUER, subject: SUBJECT }] }, { trustedRoot: root }))).toBe('UntrustedRoot');
  });

  it('bundle whose statement names another digest: PayloadMismatch', async () => {
    const { store, digest } = await signedKeyless('keyless-other', undefined, { bundleDigest: `sha256:${'0'.repeat(64)}` });
    expect(await reason(verifySignatures(store, digest, { keys: [], identities: [{ issuer: ISSUER, subject: SUBJECT }] }, { trustedRoot: root, ...OPTS }))).toBe('PayloadMismatch');
  });

  it('flotilla verify --certificate-identity-regexp/--certificate-oidc-issuer/--trusted-root: exit 0, and 15 for another issuer', async () => {
    const { repo, digest } = await signedKeyless('keyless-cli');
    const rootFile = join(dir, 'trusted_root.json');
    await writeFile(rootFile, JSON.stringify(root));
    const base = ['verify', `${repo}@${digest}`, '--trusted-root', rootFile, '--ctlog-threshold', '0', '--certificate-identity-regexp', 'https://github\\.com/acme/.+'];
    const ok = await execa('node', [CLI, ...base, '--certificate-oidc-issuer', ISSUER, '-o', 'json'], { reject: false });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ digest, signatures: [{ kind: 'keyless', subject: SUBJECT }] });
    const bad = await execa('node', [CLI, ...base, '--certificate-oidc-issuer', 'https://issuer.invalid'], { reject: false });
    expect(bad.exitCode).toBe(15);
    expect(bad.stderr).toContain('IssuerMismatch');
  });
});
