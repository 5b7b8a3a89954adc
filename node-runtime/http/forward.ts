/**
 * Forwarding (cluster mode): a request whose backend runs on other nodes of the pool only (a
 * *remote* function, api/node-contract.ts) is sent to one of those nodes' endpoints with node:http,
 * so a load balancer in front of every node of a pool never meets a 404 for a function placed
 * elsewhere. Same method, path and query, headers minus hop-by-hop ones, the buffered body, within
 * the attempt's deadline. Endpoints take turns (round robin per function); one that cannot be
 * connected to is skipped for the next, since the request never reached it. The request is marked
 * with this node's name (FORWARDED_BY_HEADER) and the chosen backend (BACKEND_HEADER): the
 * receiving node runs that backend or answers 503 NotPlacedHere, and never forwards it again, so a
 * stale assignment cannot bounce a request between nodes; it carries this node's peer credential
 * (PEER_AUTH_HEADER, peer/peer-auth.ts) without which the receiving node honours neither mark. The answer is relayed as it came
 * (x-flotilla-served-by and x-flotilla-digest of the node that ran it), marked with this node's
 * name too.
 */
import * as http from 'node:http';
import { BACKEND_HEADER, FORWARDED_BY_HEADER } from '../../api/index.ts';
import { HTTP_STATUS, NodeRuntimeError, type NodeRuntimeCode } from '../errors.ts';
import { PEER_AUTH_HEADER, type PeerClaim } from '../peer/peer-auth.ts';
import type { AttemptResult } from './route-policy-retry.ts';

/** Headers that describe one connection, not the message (RFC 9110 7.6.1): never passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** `headers` without hop-by-hop ones (those listed in Connection too) and without `drop`. Pure. */
export function endToEnd(headers: http.IncomingHttpHeaders, drop: readonly string[] = []): http.OutgoingHttpHeaders {
  const connection = headers.connection;
  const named = new Set((Array.isArray(connection) ? connection.join(',') : (connection ?? '')).split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k) || drop.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/** The headers of a forwarded request: the client's end-to-end ones, marked with this node and the chosen backend, the body's exact length. Pure. */
export function forwardedRequestHeaders(headers: http.IncomingHttpHeaders, node: string, backend: string, bodyLength: number): http.OutgoingHttpHeaders {
  return { ...endToEnd(headers, ['content-length', FORWARDED_BY_HEADER, BACKEND_HEADER, PEER_AUTH_HEADER]), [FORWARDED_BY_HEADER]: node, [BACKEND_HEADER]: backend, 'content-length': bodyLength };
}

/** What a forwarded request with these headers claims (the part its peer credential is bound to). Pure. */
export function peerClaim(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders, method: string, url: string): PeerClaim {
  const one = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : '');
  return { by: one(headers[FORWARDED_BY_HEADER]), backend: one(headers[BACKEND_HEADER]), method, url, host: one(headers.host) };
}

/** The headers of a relayed answer: the remote node's end-to-end ones, marked with this (forwarding) node. Pure. */
export function relayedResponseHeaders(headers: http.IncomingHttpHeaders, node: string, bodyLength: number): http.OutgoingHttpHeaders {
  return { ...endToEnd(headers, ['content-length', FORWARDED_BY_HEADER]), [FORWARDED_BY_HEADER]: node, 'content-length': bodyLength };
}

/** `endpoints` starting at turn `turn` (round robin), each once. Pure. */
export function endpointOrder(endpoints: readonly string[], turn: number): string[] {
  const n = endpoints.length;
  if (n === 0) return [];
  const start = ((turn % n) + n) % n;
  return [...endpoints.slice(start), ...endpoints.slice(0, start)];
}

/** The URL to send `pathAndQuery` to on a node serving at `endpoint` (a base URL, maybe with a path). Pure. */
export function forwardUrl(endpoint: string, pathAndQuery: string): URL {
  const base = new URL(endpoint);
  if (base.protocol !== 'http:') throw new NodeRuntimeError('ForwardFailed', `expected an http: node endpoint, got ${JSON.stringify(endpoint)}; check the node's --endpoint`);
  const prefix = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
  return new URL(`${base.origin}${prefix}${pathAndQuery}`);
}

/** A remote node's answer, buffered. */
export interface Relayed {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The endpoint that answered. */
  readonly endpoint: string;
}

const isCode = (code: string): code is NodeRuntimeCode => Object.hasOwn(HTTP_STATUS, code);

/**
 * A relayed answer as route policies see it: the remote node's failure code (x-flotilla-error) when
 * it gave one, so a remote Timeout or Overloaded counts as locally, else the function's status. Pure.
 */
export function relayedResult(r: Pick<Relayed, 'status' | 'headers'>): AttemptResult {
  const code = r.headers['x-flotilla-error'];
  if (typeof code === 'string' && isCode(code)) return { ok: false, code };
  return { ok: true, status: r.status };
}

/** A relayed answer's outcome label (metrics): ok, or the remote node's failure code. Pure. */
export function relayedOutcome(r: Pick<Relayed, 'status' | 'headers'>): string {
  const v = relayedResult(r);
  return v.ok ? 'ok' : v.code;
}

export interface ForwardRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/** Why one endpoint did not answer: `unreached` when the request cannot have reached it (the next endpoint may be tried). */
interface EndpointFailure {
  readonly error: NodeRuntimeError;
  readonly unreached: boolean;
}

export class Forwarder {
  private readonly node: string;
  private readonly maxResponseBytes: number;
  // Keep-alive between nodes: a forwarded request should cost one round trip, not a handshake too. Idle sockets close well before the peers' 65 s keep-alive.
  private readonly agent = new http.Agent({ keepAlive: true, timeout: 30_000 });
  private readonly turns = new Map<string, number>();

  /** Mints this node's peer credential for a forwarded request; absent: none is sent (the peer refuses it). */
  private readonly credential: ((claim: PeerClaim) => Promise<string>) | undefined;

  constructor(node: string, maxResponseBytes: number, credential?: (claim: PeerClaim) => Promise<string>) {
    this.node = node;
    this.maxResponseBytes = maxResponseBytes;
    this.credential = credential;
  }

  /** Sends `req` for `functionKey` to one of `endpoints` before `deadlineMs`: the answer, or why none came. */
  async forward(functionKey: string, endpoints: readonly string[], req: ForwardRequest, deadlineMs: number): Promise<Relayed | NodeRuntimeError> {
    const turn = this.turns.get(functionKey) ?? 0;
    this.turns.set(functionKey, turn + 1);
    const headers = forwardedRequestHeaders(req.headers, this.node, functionKey, req.body.length);
    if (this.credential) {
      try {
        headers[PEER_AUTH_HEADER] = await this.credential(peerClaim(headers, req.method, req.url));
      } catch (err) {
        return new NodeRuntimeError('ForwardFailed', `forwarding ${functionKey} from node ${this.node}: expected a peer credential, got ${(err as Error).message}; check the node's peer authentication (ServiceAccount and RBAC, or --peer-key-file)`, { cause: err });
      }
    }
    const failures: string[] = [];
    for (const endpoint of endpointOrder(endpoints, turn)) {
      const left = deadlineMs - Date.now();
      if (left <= 0) return new NodeRuntimeError('Timeout', `forwarding ${functionKey} from node ${this.node}: the route's deadline passed before an answer (${failures.join('; ') || 'no endpoint tried'})`);
      let result = await this.once(endpoint, req, headers, left);
      // A kept-alive socket the peer closed meanwhile: the request did not get through, send it again (the agent drops that socket).
      for (let i = 0; 'stale' in result && i < 2; i++) result = await this.once(endpoint, req, headers, Math.max(1, deadlineMs - Date.now()));
      if ('stale' in result) result = { error: new NodeRuntimeError('ForwardFailed', 'kept-alive connections reset'), unreached: true };
      if (!('error' in result)) return result;
      if (!result.unreached) return result.error;
      failures.push(`${endpoint}: ${result.error.message}`);
    }
    return new NodeRuntimeError('ForwardFailed', `forwarding ${functionKey} from node ${this.node}: expected one of the nodes running it to accept a connection, got ${failures.join('; ') || 'no endpoint (no ready node runs it)'}; check those nodes and the network policy between nodes`);
  }

  close(): void {
    this.agent.destroy();
  }

  private once(endpoint: string, req: ForwardRequest, headers: http.OutgoingHttpHeaders, timeoutMs: number): Promise<Relayed | EndpointFailure | { stale: true }> {
    return new Promise((resolve) => {
      let url: URL;
      try {
        url = forwardUrl(endpoint, req.url);
      } catch (err) {
        resolve({ error: err as NodeRuntimeError, unreached: true });
        return;
      }
      let connected = false;
      let answered = false;
      const out = http.request(url, { method: req.method, headers, agent: this.agent, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxResponseBytes) {
            resolve({ error: new NodeRuntimeError('ResponseTooLarge', `forwarded answer from ${endpoint}: expected at most ${this.maxResponseBytes} bytes, got more`), unreached: false });
            res.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks), endpoint }));
        res.on('error', (err) =>
          resolve({
            error: err.name === 'AbortError' || err.name === 'TimeoutError' ? new NodeRuntimeError('Timeout', `forwarded to ${endpoint}: no whole answer within ${timeoutMs} ms`, { cause: err }) : new NodeRuntimeError('ForwardFailed', `forwarded answer from ${endpoint} broke off: ${err.message}`, { cause: err }),
            unreached: false,
          }),
        );
      });
      out.on('socket', (s) => {
        if (!s.connecting) connected = true;
        else s.once('connect', () => (connected = true));
      });
      out.on('error', (err: NodeJS.ErrnoException) => {
        if (answered) return;
        if (err.name === 'AbortError' || err.name === 'TimeoutError') {
          resolve({ error: new NodeRuntimeError('Timeout', `forwarded to ${endpoint}: no answer within ${timeoutMs} ms`, { cause: err }), unreached: false });
        } else if (out.reusedSocket && err.code === 'ECONNRESET') {
          resolve({ stale: true });
        } else {
          resolve({ error: new NodeRuntimeError('ForwardFailed', `${err.code ?? err.message}`, { cause: err }), unreached: !connected });
        }
      });
      out.end(req.body);
    });
  }
}
