import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { FlotillaError } from '../../api/errors.ts';
import { buildWasmArtifact, creationTime, formatReference, openStore, pushWasmArtifact, repositoryName } from '../../artifacts/index.ts';
import type { Reference, WasmArtifact } from '../../artifacts/index.ts';
import { collect, commonOptions, emit, findTool, isPlainHttp, parseRef, progress, runTool, storeOptions } from './artifact-common.ts';
import type { CommonFlags } from './artifact-common.ts';

interface PushFlags extends CommonFlags {
  source?: string;
  revision?: string;
  author?: string;
  annotation?: string[];
  native?: boolean;
  chunkSize?: string;
}

/** `flotilla push module.wasm host/repo:tag`: the TAG-Runtime Wasm artifact, through oras when installed. */
export function register(program: Command): void {
  commonOptions(
    program
      .command('push')
      .description('Push a Wasm module as an OCI artifact (CNCF TAG-Runtime layout); uses oras when installed')
      .argument('<module>', 'the .wasm file')
      .argument('<reference>', 'host[:port]/repository[:tag] or oci-layout:<dir>[:tag]')
      .option('--source <url>', 'org.opencontainers.image.source annotation')
      .option('--revision <rev>', 'org.opencontainers.image.revision annotation')
      .option('--author <name>', 'author in the wasm config')
      .option('--annotation <key=value>', 'extra manifest annotation (repeatable)', collect)
      .option('--native', 'use the built-in client even when oras is installed')
      .option('--chunk-size <bytes>', 'native client: upload in chunks of this size'),
  ).action(async (file: string, reference: string, flags: PushFlags) => {
    const ref = parseRef(reference);
    if (ref.digest !== undefined) throw new FlotillaError('InvalidArgument', `${reference}: expected a tag or no version to push to, got a digest (the digest is computed)`);
    const annotations = Object.fromEntries(
      (flags.annotation ?? []).map((kv) => {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new FlotillaError('InvalidArgument', `--annotation: expected key=value, got ${JSON.stringify(kv)}`);
        return [kv.slice(0, eq), kv.slice(eq + 1)];
      }),
    );
    const artifact = buildWasmArtifact({
      wasm: await readFile(file),
      created: creationTime(process.env['SOURCE_DATE_EPOCH'], new Date()),
      title: basename(file),
      ...(flags.author !== undefined ? { author: flags.author } : {}),
      ...(flags.source !== undefined ? { source: flags.source } : {}),
      ...(flags.revision !== undefined ? { revision: flags.revision } : {}),
      annotations,
    });
    const oras = flags.native === true || ref.kind === 'layout' ? undefined : findTool('oras');
    progress(`pushing ${file} (${artifact.layerDescriptor.size} bytes) to ${formatReference(ref)}${oras !== undefined ? ' with oras' : ''}`);
    const digest = oras !== undefined ? await pushWithOras(oras, ref, artifact, flags) : await pushNative(ref, artifact, flags);
    const pinned = `${repositoryName(ref)}@${digest}`;
    emit(flags, { reference: pinned, digest, tag: ref.tag ?? null, size: artifact.layerDescriptor.size, tool: oras !== undefined ? 'oras' : 'native' }, pinned, pinned);
  });
}

async function pushNative(ref: Reference, artifact: WasmArtifact, flags: PushFlags): Promise<string> {
  const chunkBytes = flags.chunkSize !== undefined ? Number(flags.chunkSize) : undefined;
  if (chunkBytes !== undefined && (!Number.isInteger(chunkBytes) || chunkBytes <= 0)) throw new FlotillaError('InvalidArgument', `--chunk-size: expected a positive integer, got ${flags.chunkSize}`);
  const store = await openStore(ref, storeOptions(flags, chunkBytes !== undefined ? { chunkBytes } : {}));
  return pushWasmArtifact(store, artifact, { ...(ref.tag !== undefined ? { tag: ref.tag } : {}), progress: (e) => progress(`  ${e.step} ${e.digest ?? ''}`) });
}

/**
 * oras moves the exact bytes we built (blob push + manifest push), so the artifact is byte-identical
 * whichever way it travels: same digest, same signature target.
 */
async function pushWithOras(oras: string, ref: Reference, artifact: WasmArtifact, flags: PushFlags): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-push-'));
  try {
    const repo = repositoryName(ref);
    const plain = isPlainHttp(ref, flags) ? ['--plain-http'] : [];
    await writeFile(join(dir, 'layer'), artifact.layerBytes);
    await writeFile(join(dir, 'config'), artifact.configBytes);
    await writeFile(join(dir, 'manifest.json'), artifact.manifestBytes);
    await runTool(oras, ['blob', 'push', ...plain, `${repo}@${artifact.layerDescriptor.digest}`, join(dir, 'layer')]);
    await runTool(oras, ['blob', 'push', ...plain, `${repo}@${artifact.configDescriptor.digest}`, join(dir, 'config')]);
    const target = ref.tag !== undefined ? `${repo}:${ref.tag}` : `${repo}@${artifact.manifestDigest}`;
    await runTool(oras, ['manifest', 'push', ...plain, '--media-type', 'application/vnd.oci.image.manifest.v1+json', target, join(dir, 'manifest.json')]);
    return artifact.manifestDigest;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
