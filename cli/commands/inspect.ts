import type { Command } from 'commander';
import { formatReference, mediaTypes, openStore, repositoryName, signatureTag } from '../../artifacts/index.ts';
import { commonOptions, emit, parseRef, resolveDigest, storeOptions } from './artifact-common.ts';
import type { CommonFlags } from './artifact-common.ts';

/** `flotilla inspect ref`: the manifest, the wasm config and which signatures are attached (not verified). */
export function register(program: Command): void {
  commonOptions(
    program
      .command('inspect')
      .description('Show an artifact\'s manifest, Wasm config and attached signatures (without verifying them)')
      .argument('<reference>', 'host[:port]/repository(:tag|@digest) or oci-layout:<dir>(:tag|@digest)'),
  ).action(async (reference: string, flags: CommonFlags) => {
    const ref = parseRef(reference);
    const store = await openStore(ref, storeOptions(flags));
    const digest = await resolveDigest(store, ref);
    const fetched = await store.getManifest(digest);
    const config =
      fetched.kind === 'manifest' && fetched.manifest.config.mediaType === mediaTypes.WASM_CONFIG ? (JSON.parse(Buffer.from(await store.getBlob(fetched.manifest.config)).toString('utf8')) as unknown) : null;
    const tagSignature = (await store.resolve(signatureTag(digest)))?.digest ?? null;
    const referrers = await store.referrers(digest);
    const body = fetched.kind === 'manifest' ? fetched.manifest : fetched.index;
    const json = { reference: `${repositoryName(ref)}@${digest}`, digest, mediaType: fetched.mediaType, size: fetched.bytes.byteLength, manifest: body, config, signatures: { tag: tagSignature, referrers } };
    const text = [
      `${formatReference({ ...ref, digest })}`,
      `  mediaType    ${fetched.mediaType}`,
      `  artifactType ${body.artifactType ?? '-'}`,
      ...(fetched.kind === 'manifest' ? fetched.manifest.layers.map((l) => `  layer        ${l.mediaType} ${l.digest} ${l.size} bytes`) : []),
      ...Object.entries(body.annotations ?? {}).map(([k, v]) => `  annotation   ${k}=${v}`),
      `  signature    ${tagSignature !== null ? `${signatureTag(digest)} (${tagSignature})` : 'none (tag scheme)'}`,
      ...referrers.map((r) => `  referrer     ${r.artifactType ?? '?'} ${r.digest}`),
    ].join('\n');
    emit(flags, json, text, json.reference);
  });
}
