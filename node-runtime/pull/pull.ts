/**
 * The pull stage: copies a module artifact (manifest by digest, config, wasm layer and its
 * signatures) from its store into a directory that becomes a cache entry. Every byte is checked
 * against its digest by the artifact client on the way. With a local store configured, a
 * registry reference `host/repo@digest` is read from the OCI layout `<localStore>/host/repo`
 * instead: standalone nodes run from a local store with no registry.
 */
import { join } from 'node:path';
import { openLayout, openStore, OciError, pullWasm, type Reference, type StoreOptions } from '../../artifacts/index.ts';
import { NodeRuntimeError } from '../errors.ts';

export interface PullOptions {
  readonly storeOptions?: StoreOptions;
  /** Directory of OCI layouts standing in for registries (see the file comment). */
  readonly localStore?: string;
}

/** The store a reference is pulled from under `options`. */
export function sourceOf(ref: Reference, options: PullOptions): Reference {
  if (ref.kind === 'registry' && options.localStore !== undefined) {
    return { kind: 'layout', path: join(options.localStore, ref.registry, ref.repository) };
  }
  return ref;
}

/** Pulls `digest` from the store `ref` names into the OCI layout directory `targetDir`. */
export async function pullModule(ref: Reference, digest: string, targetDir: string, options: PullOptions): Promise<void> {
  try {
    const source = await openStore(sourceOf(ref, options), options.storeOptions ?? {});
    const target = await openLayout(targetDir);
    await pullWasm(source, digest, target, { withSignatures: true });
  } catch (err) {
    if (err instanceof OciError) {
      throw new NodeRuntimeError('ModulePullFailed', `pull ${digest}: ${err.code}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
