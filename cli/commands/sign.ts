import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';
import { loadPrivateKey, openStore, repositoryName, signArtifact, signatureTag } from '../../artifacts/index.ts';
import { commonOptions, emit, findTool, isPlainHttp, parseRef, progress, resolveDigest, runTool, storeOptions } from './artifact-common.ts';
import type { CommonFlags } from './artifact-common.ts';

interface SignFlags extends CommonFlags {
  key: string;
  native?: boolean;
  bundle: string;
}

/** `flotilla sign ref --key cosign.key`: cosign-compatible signature, through cosign when installed. */
export function register(program: Command): void {
  commonOptions(
    program
      .command('sign')
      .description('Sign an artifact the cosign way (sha256-<hex>.sig + Sigstore bundle referrer); uses cosign when installed')
      .argument('<reference>', 'host[:port]/repository(:tag|@digest) or oci-layout:<dir>(:tag|@digest); a tag is resolved and the digest signed')
      .requiredOption('--key <cosign.key>', 'cosign private key file (password in $COSIGN_PASSWORD)')
      .option('--native', 'sign with the built-in signer even when cosign is installed')
      .option('--bundle <when>', 'attach a Sigstore bundle through the referrers API: auto (where supported), always, never', 'auto'),
  ).action(async (reference: string, flags: SignFlags) => {
    if (!['auto', 'always', 'never'].includes(flags.bundle)) throw new FlotillaError('InvalidArgument', `--bundle: expected auto, always or never, got ${JSON.stringify(flags.bundle)}`);
    const ref = parseRef(reference);
    const store = await openStore(ref, storeOptions(flags));
    const digest = await resolveDigest(store, ref);
    const password = process.env['COSIGN_PASSWORD'];
    // Load natively in both modes: a wrong password or key type fails the same way whichever signs.
    const key = await loadPrivateKey(await readFile(flags.key, 'utf8'), password, flags.key);
    const cosign = flags.native === true || ref.kind === 'layout' ? undefined : findTool('cosign');
    const bundle = flags.bundle === 'always' || (flags.bundle === 'auto' && (await store.supportsReferrers(digest)));
    progress(`signing ${repositoryName(ref)}@${digest}${cosign !== undefined ? ' with cosign' : ''}`);
    if (cosign !== undefined) {
      const target = `${repositoryName(ref)}@${digest}`;
      const args = ['sign', '--key', flags.key, '--tlog-upload=false', '--yes', ...(isPlainHttp(ref, flags) ? ['--allow-http-registry', '--allow-insecure-registry'] : [])];
      const env = { COSIGN_PASSWORD: password ?? '' };
      await runTool(cosign, [...args, target], env);
      if (bundle) await runTool(cosign, [...args, '--new-bundle-format', target], env);
    } else {
      await signArtifact(store, digest, { key, repository: repositoryName(ref), bundle: bundle ? 'always' : 'never' });
    }
    emit(flags, { digest, signatureTag: signatureTag(digest), bundle, tool: cosign !== undefined ? 'cosign' : 'native' }, `signed ${repositoryName(ref)}@${digest}`, `${repositoryName(ref)}@${digest}`);
  });
}
