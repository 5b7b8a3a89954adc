import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { openStore, repositoryName, verifySignatures } from '../../artifacts/index.ts';
import { collect, commonOptions, emit, parseRef, progress, resolveDigest, storeOptions, trustPolicy } from './artifact-common.ts';
import type { CommonFlags } from './artifact-common.ts';

interface VerifyFlags extends CommonFlags {
  key?: string[];
  policy?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  trustedRoot?: string;
  ctlogThreshold?: string;
}

/** `flotilla verify ref --key cosign.pub`: exit 0 when a trusted signature holds, else the reason's exit code. */
export function register(program: Command): void {
  commonOptions(
    program
      .command('verify')
      .description('Verify an artifact\'s cosign signatures and Sigstore bundles against keys or keyless identities (offline)')
      .argument('<reference>', 'host[:port]/repository(:tag|@digest) or oci-layout:<dir>(:tag|@digest)')
      .option('--key <cosign.pub>', 'trusted public key (repeatable)', collect)
      .option('--policy <file>', 'trust policy JSON {keys, identities}')
      .option('--certificate-identity <subject>', 'keyless: exact certificate subject')
      .option('--certificate-identity-regexp <regex>', 'keyless: subject pattern, matched against the whole subject')
      .option('--certificate-oidc-issuer <url>', 'keyless: OIDC issuer')
      .option('--trusted-root <file>', 'Sigstore trusted_root.json (Fulcio CA, Rekor and CT log keys)')
      .option('--ctlog-threshold <n>', 'SCTs required in keyless certificates', '1'),
  ).action(async (reference: string, flags: VerifyFlags) => {
    const ref = parseRef(reference);
    const policy = await trustPolicy(flags);
    const store = await openStore(ref, storeOptions(flags));
    const digest = await resolveDigest(store, ref);
    const trustedRoot: unknown = flags.trustedRoot !== undefined ? JSON.parse(await readFile(flags.trustedRoot, 'utf8')) : undefined;
    progress(`verifying ${repositoryName(ref)}@${digest}`);
    const result = await verifySignatures(store, digest, policy, { ...(trustedRoot !== undefined ? { trustedRoot } : {}), ctlogThreshold: Number(flags.ctlogThreshold ?? 1) });
    const lines = result.signatures.map((s) => `  ${s.scheme} ${s.kind}${s.subject !== undefined ? ` ${s.subject} (${s.issuer ?? '?'})` : ''} from ${s.source}`);
    emit(flags, { reference: `${repositoryName(ref)}@${digest}`, ...result }, [`verified ${repositoryName(ref)}@${digest}`, ...lines].join('\n'), `${repositoryName(ref)}@${digest}`);
  });
}
