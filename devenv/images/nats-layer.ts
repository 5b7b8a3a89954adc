/**
 * The nats image's one layer: Debian's nats-server and the libc it links (it is a cgo build:
 * `ldd` names libc.so.6 and the loader), taken from the .deb files pinned in base.json `nats`,
 * the same users as the other images, and the JetStream store directory owned by the app user
 * (the pod mounts an emptyDir over it; run bare on a writable root, the server can still write).
 * Not the Node base layer: nats-server needs none of it.
 */
import { NATS_STORE_DIR } from '../../constructs/nats-server.ts';
import type { BasePins } from './base-layer.ts';
import { APP_USER, debFiles, fetchDeb, userEntries } from './base-layer.ts';
import type { LayerEntry } from './tar-layer.ts';

/** Where the server binary sits in the image (where Debian installs it). */
export const NATS_SERVER_PATH = 'usr/sbin/nats-server';

/** Collects the nats layer's entries; .deb files are fetched into `debCache` once (shared with the base layer's). */
export async function natsLayer(pins: BasePins, debCache: string, log: (line: string) => void): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  for (const pin of pins.nats.debian) entries.push(...(await debFiles(await fetchDeb(pin, debCache, log), pin)));
  entries.push(...userEntries(), { kind: 'dir', path: NATS_STORE_DIR.slice(1), mode: 0o755, uid: APP_USER.uid, gid: APP_USER.gid });
  return entries;
}
