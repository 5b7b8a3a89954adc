import { openLayout } from './layout/oci-layout.ts';
import type { Reference } from './reference.ts';
import { RegistryClient } from './registry/client.ts';
import type { RegistryOptions } from './registry/client.ts';
import type { UploadOptions } from './registry/repository.ts';
import { RegistryRepository } from './registry/repository.ts';
import type { ArtifactStore, SizeLimits } from './store.ts';
import { DEFAULT_LIMITS } from './store.ts';

/** Everything needed to reach a store; the same options serve registries and layouts. */
export interface StoreOptions extends RegistryOptions, UploadOptions {
  readonly limits?: Partial<SizeLimits>;
}

/** Opens the store a reference names: its registry repository or its layout directory (created if absent). */
export async function openStore(ref: Reference, options: StoreOptions = {}): Promise<ArtifactStore> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (ref.kind === 'layout') return openLayout(ref.path, limits);
  return new RegistryRepository(new RegistryClient(ref.registry, options), ref.repository, limits, options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {});
}
