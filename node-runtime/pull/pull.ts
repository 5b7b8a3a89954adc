/**
 * The pull stage: copies a module artifact (manifest by digest, config, wasm layer and its
 * signatures) from its store into a directory that becomes a cache entry. Every byte is checked
 * against its digest by the artifact client on the way. With a local store configured, a
 * registry reference `host/repo@digest` is read from the OCI layout `<localStore>/host/repo`
 * when that layout exists (a mirror consulted first): standalone nodes run from a local store
 * with no registry.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openLayout, openStore, OciError, pullWasm, type Reference, type StoreOptions } from '../../artifacts/index.ts';
import { NodeRuntimeError } from '../errors.ts';

export interface PullOptions {
  readonly storeOptions?: StoreOptions;
  /** Directory of OCI layouts standing in for registries (see the file comment). */
  readonly localStore?: string;
  /** Abandons pulls in flight and their retries (the node shutting down). */
  readonly signal?: AbortSignal;
}

/** The store a reference is pulled from under `options`. */
export async function sourceOf(ref: Reference, options: PullOptions): Promise<Reference> {
  if (ref.kind === 'registry' && options.localStore !== undefined) {
    const path = join(options.localStore, ref.registry, ref.repository);
    if (await stat(join(path, 'oci-layout')).then(() => true, () => false)) return { kind: 'layout', path };
  }
  return ref;
}

/** Pulls `digest` from the store `ref` names into the OCI layout directory `targetDir`. */
export async function pullModule(ref: Reference, digest: string, targetDir: string, options: PullOptions): Promise<void> {
  try {
    const store = options.storeOptions ?? {};
    const source = await openStore(await sourceOf(ref, options), options.signal ? { ...store, transport: { ...store.transport, signal: options.signal } } : store);
    const target = await openLayout(targetDir);
    await pullWasm(source, digest, target, { withSignatures: true });
  } catch (err) {
    if (err instanceof OciError) {
      throw new NodeRuntimeError('ModulePullFailed', `pull ${digest}: ${err.code}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
