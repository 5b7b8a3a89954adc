/**
 * Peer auth with bound ServiceAccount tokens (cluster mode): a forwarding node sends a token of its
 * pool's ServiceAccount for the dedicated audience PEER_AUDIENCE (so it is no API credential and no
 * other audience's token works here): in a pod, the projected token the kubelet mints, binds to the
 * pod (and its node) and refreshes (`tokenFile`); outside a kubelet, minted with TokenRequest and
 * refreshed at REFRESH_AT of its life; the receiving node checks it with TokenReview (authenticated, audience, a user name of its
 * pool, and the node-name extra when the token is bound to a pod) and remembers the answer by the
 * token's SHA-256 for the token's remaining life, in a bounded cache, so a kept-alive stream of
 * forwarded requests costs one review per token, not one per request.
 */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { readFile } from 'node:fs/promises';
import { PEER_AUDIENCE } from '../../api/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { checkNode, PeerAuthError, type PeerAuth, type PeerClaim, type PeerIdentity } from './peer-auth.ts';

/** The audience of peer tokens: a token minted for it is useless against the API server, and an API token is refused here. */
export { PEER_AUDIENCE };

/** How often a projected token file is re-read (the kubelet replaces it at 80 % of its life, 8 min for 10). */
export const TOKEN_FILE_REREAD_MS = 60_000;

/** The extra TokenReview gives a pod-bound token: the node the pod runs on. */
export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';

/** Token life asked for (the API server's least is 10 min). */
export const TOKEN_SECONDS = 600;

/** Fraction of a token's life after which the node mints the next one (the kubelet's own rule for projected tokens). */
export const REFRESH_AT = 0.8;

/** Reviewed tokens remembered at most (a pool has few nodes; the bound is for a flood of distinct tokens). */
export const CACHE_ENTRIES = 1024;

/** How long a refused token is remembered: a peer retrying a bad token costs no review each time. */
export const REFUSED_TTL_MS = 10_000;

interface TokenRequestStatus {
  readonly status?: { readonly token?: string; readonly expirationTimestamp?: string };
}

interface TokenReviewStatus {
  readonly status?: {
    readonly authenticated?: boolean;
    readonly audiences?: readonly string[];
    readonly error?: string;
    readonly user?: { readonly username?: string; readonly extra?: Readonly<Record<string, readonly string[]>> };
  };
}

export interface ServiceAccountPeerOptions {
  /** Namespace and name of this node's ServiceAccount: the one its tokens are minted for. */
  readonly namespace: string;
  readonly serviceAccount: string;
  /** A projected ServiceAccount token (audience PEER_AUDIENCE) to send instead of minting one, re-read every TOKEN_FILE_REREAD_MS. */
  readonly tokenFile?: string;
  /** User names of the pool's peers (system:serviceaccount:<ns>:<name>). @default this node's ServiceAccount only */
  readonly peers?: readonly string[];
  /** @default Date.now */
  readonly now?: () => number;
  /** @default TOKEN_SECONDS */
  readonly tokenSeconds?: number;
  /** @default CACHE_ENTRIES */
  readonly cacheEntries?: number;
}

/** The user name of ServiceAccount `name` in `namespace`. Pure. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

type Reviewed = { readonly until: number; readonly result: PeerIdentity | PeerAuthError };

/** Counts of TokenReview cache lookups (metrics read them). */
export interface ReviewCounts {
  hits: number;
  misses: number;
}

export class ServiceAccountPeerAuth implements PeerAuth {
  readonly kind = 'service-account';
  readonly counts: ReviewCounts = { hits: 0, misses: 0 };
  private readonly client: KubeClient;
  private readonly o: Required<Omit<ServiceAccountPeerOptions, 'peers' | 'tokenFile'>> & { readonly peers: ReadonlySet<string>; readonly tokenFile?: string };
  private token: { value: string; refreshAt: number } | undefined;
  private minting: Promise<string> | undefined;
  // Map order is insertion order: the first key is the oldest entry, evicted first.
  private readonly reviewed = new Map<string, Reviewed>();

  constructor(client: KubeClient, o: ServiceAccountPeerOptions) {
    this.client = client;
    this.o = {
      namespace: o.namespace,
      serviceAccount: o.serviceAccount,
      peers: new Set(o.peers ?? [serviceAccountUser(o.namespace, o.serviceAccount)]),
      now: o.now ?? Date.now,
      tokenSeconds: o.tokenSeconds ?? TOKEN_SECONDS,
      cacheEntries: o.cacheEntries ?? CACHE_ENTRIES,
      ...(o.tokenFile !== undefined ? { tokenFile: o.tokenFile } : {}),
    };
  }

  credential(): Promise<string> {
    if (this.token && this.o.now() < this.token.refreshAt) return Promise.resolve(this.token.value);
    // One TokenRequest at a time, however many requests are forwarded meanwhile.
    this.minting ??= this.mint().finally(() => (this.minting = undefined));
    return this.minting;
  }

  async verify(credential: string | undefined, claim: PeerClaim): Promise<PeerIdentity | PeerAuthError> {
    if (credential === undefined) return new PeerAuthError('MissingCredential', `expected a ServiceAccount token for audience ${PEER_AUDIENCE} (x-flotilla-peer-auth) on a forwarded request, got none; only the pool's nodes may forward`);
    const key = createHash('sha256').update(credential).digest('base64url');
    const now = this.o.now();
    const hit = this.reviewed.get(key);
    if (hit && now < hit.until) {
      this.counts.hits++;
      return hit.result instanceof PeerAuthError ? hit.result : checkNode(hit.result, claim);
    }
    this.counts.misses++;
    const { result, until } = await this.review(credential, now);
    this.reviewed.delete(key);
    this.reviewed.set(key, { result, until });
    while (this.reviewed.size > this.o.cacheEntries) this.reviewed.delete(this.reviewed.keys().next().value!);
    return result instanceof PeerAuthError ? result : checkNode(result, claim);
  }

  close(): void {
    this.token = undefined;
    this.reviewed.clear();
  }

  private async mint(): Promise<string> {
    const { namespace, serviceAccount, tokenSeconds, tokenFile } = this.o;
    const issued = this.o.now();
    if (tokenFile !== undefined) {
      const value = (await readFile(tokenFile, 'utf8')).trim();
      if (!value) throw new PeerAuthError('MalformedCredential', `peer token file ${tokenFile}: expected a projected ServiceAccount token, got an empty file`);
      this.token = { value, refreshAt: issued + TOKEN_FILE_REREAD_MS };
      return value;
    }
    const r = await this.client.request<TokenRequestStatus>({
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [PEER_AUDIENCE], expirationSeconds: tokenSeconds } },
      contentType: 'application/json',
    });
    const value = r.status?.token;
    if (!value) throw new PeerAuthError('ReviewFailed', `TokenRequest for ServiceAccount ${namespace}/${serviceAccount}: expected a token, got none`);
    const expires = r.status?.expirationTimestamp ? Date.parse(r.status.expirationTimestamp) : issued + tokenSeconds * 1000;
    this.token = { value, refreshAt: issued + (expires - issued) * REFRESH_AT };
    return value;
  }

  /** The API server's verdict on `token` and until when it holds (the token's expiry; a refusal: REFUSED_TTL_MS). */
  private async review(token: string, now: number): Promise<Reviewed> {
    const refused = (err: PeerAuthError): Reviewed => ({ result: err, until: now + REFUSED_TTL_MS });
    let exp: number | undefined;
    try {
      exp = decodeJwt(token).exp;
    } catch {
      return refused(new PeerAuthError('MalformedCredential', 'expected a ServiceAccount token (a JWT), got something else'));
    }
    // The review is the authority; exp (unverified here) only bounds how long its answer is kept.
    if (exp === undefined || exp * 1000 <= now) return refused(new PeerAuthError('ExpiredCredential', 'expected an unexpired ServiceAccount token, got one past its exp (or without one); the forwarding node refreshes its token, check its clock'));
    let r: TokenReviewStatus;
    try {
      r = await this.client.request<TokenReviewStatus>({
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [PEER_AUDIENCE] } },
        contentType: 'application/json',
      });
    } catch (err) {
      // Not remembered: the API server being away says nothing about the token.
      return { result: new PeerAuthError('ReviewFailed', `TokenReview: expected the API server's verdict, got ${(err as Error).message}; check the node's RBAC (create tokenreviews) and the API server`, { cause: err }), until: now };
    }
    const s = r.status ?? {};
    if (s.authenticated !== true) return refused(new PeerAuthError('WrongAudience', `expected a valid ServiceAccount token for audience ${PEER_AUDIENCE}, got one the API server refused (${s.error ?? 'not authenticated'})`));
    if (!(s.audiences ?? []).includes(PEER_AUDIENCE)) return refused(new PeerAuthError('WrongAudience', `expected a token for audience ${PEER_AUDIENCE}, got audiences ${JSON.stringify(s.audiences ?? [])}`));
    const user = s.user?.username ?? '';
    if (!this.o.peers.has(user)) return refused(new PeerAuthError('NotAPeer', `expected a token of this pool's ServiceAccount (${[...this.o.peers].join(', ')}), got one of ${JSON.stringify(user)}`));
    const node = s.user?.extra?.[NODE_NAME_EXTRA]?.[0];
    return { result: node === undefined ? { principal: user } : { principal: user, node }, until: exp * 1000 };
  }
}
