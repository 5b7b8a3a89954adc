/**
 * Node identity: how a node proves to another node of its pool that a forwarded request comes from
 * a peer, and how the receiving node checks it. The forwarding marks (x-flotilla-forwarded-by,
 * x-flotilla-backend: http/peer.ts) steer the receiving node, so they are honoured only with a
 * credential that verifies; without one the peer port answers 401 PeerUnauthenticated. Two kinds:
 * a bound ServiceAccount token checked with TokenReview (cluster mode, service-account.ts) and a
 * pool key shared by the site's nodes (pool-key.ts, standalone mode on a bare LAN).
 */
import { FlotillaError } from '../../api/errors.ts';

/** The request header carrying a forwarding node's credential (an x-flotilla-* header: stripped before a function sees the request, never taken from a client). */
export const PEER_AUTH_HEADER = 'x-flotilla-peer-auth';

/** What a forwarded request claims, the part a credential is bound to. */
export interface PeerClaim {
  /** The forwarding node (x-flotilla-forwarded-by). */
  readonly by: string;
  /** The backend it chose (x-flotilla-backend), '' when it named none. */
  readonly backend: string;
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly host: string;
}

/** Who a verified credential belongs to. */
export interface PeerIdentity {
  /** The authenticated principal: a ServiceAccount user name, or `pool-key`. */
  readonly principal: string;
  /** The node the credential names, when it names one (pool key: the signed claim; a pod-bound token: its node-name extra). */
  readonly node?: string;
}

/** Why a peer credential was refused; each is a label of flotilla_peer_auth_total. */
export type PeerAuthCode =
  | 'MissingCredential'
  | 'MalformedCredential'
  | 'ExpiredCredential'
  | 'BadSignature'
  | 'WrongAudience'
  | 'NotAPeer'
  | 'NodeMismatch'
  | 'ReviewFailed'
  | 'NotConfigured';

export class PeerAuthError extends FlotillaError<PeerAuthCode> {}

/** Every PeerAuthCode, for metrics and exhaustive tables. */
export const PEER_AUTH_CODES: readonly PeerAuthCode[] = ['MissingCredential', 'MalformedCredential', 'ExpiredCredential', 'BadSignature', 'WrongAudience', 'NotAPeer', 'NodeMismatch', 'ReviewFailed', 'NotConfigured'];

/** One kind of node identity: the credential this node sends, and the check of a peer's. */
export interface PeerAuth {
  /** A short name for logs and the audit log: `service-account` or `pool-key`. */
  readonly kind: string;
  /** The credential to send with a request forwarded under `claim`. */
  credential(claim: PeerClaim): Promise<string>;
  /** The identity behind `credential` for a request that claims `claim`, or why it is refused. */
  verify(credential: string | undefined, claim: PeerClaim): Promise<PeerIdentity | PeerAuthError>;
  /** Stops refreshing credentials. */
  close(): void;
}

/** The refusal for a forwarded request on a node with no peer auth: deny by default, never open. */
export function notConfigured(): PeerAuthError {
  return new PeerAuthError('NotConfigured', 'expected a peer credential this node can check, got a node with no peer authentication configured; start the node with --peer-key-file or in cluster mode (ServiceAccount tokens)');
}

/** A node-named identity must name the node the request says forwarded it. Pure. */
export function checkNode(identity: PeerIdentity, claim: PeerClaim): PeerIdentity | PeerAuthError {
  if (identity.node !== undefined && identity.node !== claim.by) {
    return new PeerAuthError('NodeMismatch', `expected a credential of node ${JSON.stringify(claim.by)} (x-flotilla-forwarded-by), got one of node ${JSON.stringify(identity.node)}`);
  }
  return identity;
}
