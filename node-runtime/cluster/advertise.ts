/**
 * The endpoint a node publishes in its Lease (api/node-contract.ts ANNOTATIONS.endpoint): where
 * the other nodes of its pool forward requests for the functions it runs. A node listening on
 * every address (0.0.0.0, as in its DaemonSet) cannot say where it is reached from that alone, so
 * it is told (--advertise-host, the pod IP); an unspecified address is never published, since a
 * peer would connect to itself. Pure.
 */
import { isIP } from 'node:net';

const UNSPECIFIED = new Set(['', '0.0.0.0', '::', '[::]']);

/** `http://host:port` for `host` (an IP, bracketed when v6, or a DNS name), or undefined when `host` is no address a peer can reach. */
export function advertisedUrl(host: string, port: number): string | undefined {
  const h = host.trim();
  if (UNSPECIFIED.has(h)) return undefined;
  return `http://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}
