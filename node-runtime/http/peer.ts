/**
 * Node-to-node forwarding's own path. The marks a forwarding node puts on a request
 * (x-flotilla-forwarded-by, x-flotilla-backend: forward.ts) steer the receiving node, so they are
 * read only on the peer listener: the node's admin port, which the NetworkPolicy opens to the pool's
 * own pods (kubelet probes are always let through), never to the clients and load balancers that
 * reach the tenant port. Every x-flotilla-* request header is stripped on both listeners before
 * anything else reads the headers, so a function sees the same headers wherever it runs and a client
 * cannot pick a backend, skip retries or pose as a peer. On the peer listener the marks count only
 * with a peer credential that verifies (x-flotilla-peer-auth, peer/peer-auth.ts), so reaching the
 * admin port past the NetworkPolicy is not enough to pose as a peer either.
 */
import type * as http from 'node:http';
import { BACKEND_HEADER, FORWARDED_BY_HEADER } from '../../api/index.ts';
import { PEER_AUTH_HEADER } from '../peer/peer-auth.ts';

/** Request headers with this prefix are the node's own, never a client's. */
export const INTERNAL_HEADER_PREFIX = 'x-flotilla-';

/** What a forwarding node said about a request: who forwarded it and which backend it chose (if it named one). */
export interface Forwarding {
  readonly by: string;
  readonly backend?: string;
  /** The forwarding node's credential (x-flotilla-peer-auth), still to be verified. */
  readonly credential?: string;
}

/**
 * Removes every x-flotilla-* header from `headers` (in place) and returns the forwarding marks
 * when the request came on the peer listener (`fromPeer`), else undefined whatever it carried.
 */
export function takeForwarding(headers: http.IncomingHttpHeaders, fromPeer: boolean): Forwarding | undefined {
  let by: string | undefined;
  let backend: string | undefined;
  let credential: string | undefined;
  for (const name in headers) {
    if (!name.startsWith(INTERNAL_HEADER_PREFIX)) continue;
    const value = headers[name];
    if (name === FORWARDED_BY_HEADER) by = Array.isArray(value) ? value.join(', ') : value;
    else if (name === BACKEND_HEADER && typeof value === 'string') backend = value;
    else if (name === PEER_AUTH_HEADER && typeof value === 'string') credential = value;
    delete headers[name];
  }
  if (!fromPeer || by === undefined) return undefined;
  return { by, ...(backend !== undefined ? { backend } : {}), ...(credential !== undefined ? { credential } : {}) };
}

/** True when a request on the peer listener is a forwarded one (anything else there is an admin path). */
export function isForwarded(headers: http.IncomingHttpHeaders): boolean {
  return headers[FORWARDED_BY_HEADER] !== undefined;
}
