import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatReference, mediaTypes, openLayout, openStore, pullWasm, repositoryName, verifySignatures } from '../../artifacts/index.ts';
import type { Verification } from '../../artifacts/index.ts';
import { collect, commonOptions, emit, parseRef, progress, resolveDigest, storeOptions, trustPolicy } from './artifact-common.ts';
import type { CommonFlags } from './artifact-common.ts';

interface PullFlags extends CommonFlags {
  file?: string;
  layout?: string;
  key?: string[];
  policy?: string;
  trustedRoot?: string;
}

/** `flotilla pull ref`: module and config verified byte for byte; signatures verified first when a key or policy is given. */
export function register(program: Command): void {
  commonOptions(
    program
      .command('pull')
      .description('Pull a Wasm artifact (digest- and size-verified) into a file and/or an OCI layout')
      .argument('<reference>', 'host[:port]/repository(:tag|@digest) or oci-layout:<dir>(:tag|@digest)')
      .option('-f, --file <path>', 'write the module here (default: its title annotation, else module.wasm)')
      .option('--layout <dir>', 'keep the artifact and its signatures in this OCI layout directory')
      .option('--key <cosign.pub>', 'verify the signature with this public key before pulling (repeatable)', collect)
      .option('--policy <file>', 'verify against this trust policy JSON before pulling')
      .option('--trusted-root <file>', 'Sigstore trusted_root.json for keyless bundles'),
  ).action(async (reference: string, flags: PullFlags) => {
    const ref = parseRef(reference);
    const source = await openStore(ref, storeOptions(flags));
    const digest = await resolveDigest(source, ref);
    let verification: Verification | undefined;
    if (flags.key !== undefined || flags.policy !== undefined) {
      const policy = await trustPolicy(flags);
      const trustedRoot: unknown = flags.trustedRoot !== undefined ? JSON.parse(await readFile(flags.trustedRoot, 'utf8')) : undefined;
      verification = await verifySignatures(source, digest, policy, trustedRoot !== undefined ? { trustedRoot } : {});
      progress(`verified ${verification.signatures.length} signature(s) on ${digest}`);
    }
    const temp = flags.layout === undefined ? await mkdtemp(join(tmpdir(), 'flotilla-pull-')) : undefined;
    try {
      const layout = await openLayout(flags.layout ?? (temp as string));
      const pulled = await pullWasm(source, digest, layout, { ...(ref.tag !== undefined ? { tag: ref.tag } : {}), progress: (e) => progress(`  ${e.step} ${e.digest ?? ''}`) });
      const file = flags.file ?? pulled.layer.annotations?.[mediaTypes.ANNOTATION_TITLE]?.replace(/[/\\]/g, '_') ?? 'module.wasm';
      await copyFile(pulled.wasmPath, file);
      const pinned = `${repositoryName(ref)}@${digest}`;
      emit(
        flags,
        { reference: pinned, digest, file, size: pulled.layer.size, os: pulled.config.os, layout: flags.layout ?? null, signatures: verification?.signatures.length ?? null },
        `${formatReference({ ...ref, digest })} -> ${file}`,
        pinned,
      );
    } finally {
      if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    }
  });
}
