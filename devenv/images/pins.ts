/**
 * clusters/images.json as the image build sees it: which entries a build rewrites, which of them
 * are stale, and the file's text. Pure, so the rules are tested without building anything.
 */
import { ImageBuildError } from './errors.ts';
import type { ImageName } from './image.ts';

/** The comment the file keeps: what its entries are and who writes them. */
export const IMAGES_COMMENT =
  'Written by `npm run images` (devenv/images/): the digests a build of the committed source gives, ' +
  'checked by test/integration/images/reproducible.test.ts; after changing what an image holds, run it and `npm run synth` and commit both. ' +
  'node-runtime@<version>: the image a WasmRuntime of that version runs; nats: the nats-server a cluster with nats: "install" runs.';

/** The built digests the build writes, keyed as clusters/images.json keys them. */
export interface BuiltDigest {
  readonly spec: { readonly name: ImageName };
  readonly digest: string;
}

/** The clusters/images.json key of a built image at package `version`: only the node runtime is pinned per version. */
export function imagesKey(name: ImageName, version: string): string {
  return name === 'node-runtime' ? `node-runtime@${version}` : name;
}

/**
 * The entries a build at package `version` pins: `operator`, `nats` and `node-runtime@<version>`, each
 * at its committed repository (for a new version, the repository of the other node runtime entries).
 */
export function pinnedImages(committed: Readonly<Record<string, string>>, built: readonly BuiltDigest[], version: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const image of built) {
    const key = imagesKey(image.spec.name, version);
    const existing = committed[key] ?? Object.entries(committed).find(([k]) => k.startsWith(`${image.spec.name}@`))?.[1];
    if (existing === undefined) throw new ImageBuildError('InvalidArgument', `clusters/images.json: expected an entry ${JSON.stringify(key)} naming the repository to pin, got none; add "${key}": "<registry>/<repository>@sha256:<hex>"`);
    out[key] = `${existing.replace(/@sha256:[0-9a-f]{64}$/, '')}@${image.digest}`;
  }
  return out;
}

/** `key: committed X, built Y` for each wanted entry the committed file does not already hold. */
export function staleEntries(committed: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): string[] {
  return Object.entries(wanted)
    .filter(([key, ref]) => committed[key] !== ref)
    .map(([key, ref]) => `${key}: committed ${committed[key] ?? 'none'}, built ${ref}`);
}

/** The rewritten file: the comment first, then every entry (other versions kept) in key order. */
export function imagesFileText(committed: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): string {
  const entries = Object.entries({ ...committed, ...wanted })
    .filter(([key]) => !key.startsWith('//'))
    .sort(([a], [b]) => (a === 'operator' ? -1 : b === 'operator' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return `${JSON.stringify({ '//': IMAGES_COMMENT, ...Object.fromEntries(entries) }, null, 2)}\n`;
}
