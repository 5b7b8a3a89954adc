/**
 * The HTTP adapter: node:http with keep-alive in front of the invoker. It matches the route table,
 * enforces the request size limit while reading, hands the request to `invoke`, and writes the
 * function's CGI response (with x-flotilla-digest, the module that answered) or a JSON error
 * carrying the failure code and invocation id. The route's policies apply per node
 * (route-policy*.ts): its rate limit before the body is read (429 RateLimited), its circuit
 * breakers per backend (503 CircuitOpen when all are open) and its retries (x-flotilla-attempts
 * says how many were made). A request for a dormant function is held until it is loaded
 * (cold-start.ts); its answer carries x-flotilla-cold-start-ms, the time it was held. A request
 * for a remote function (cluster mode: it runs on other nodes only) is forwarded to one of them
 * (forward.ts), as one attempt among the route's retries and under its breakers; a request that
 * was forwarded here runs the backend the forwarding node chose, never goes on again (503
 * NotPlacedHere when it does not run here) and gets no retries of its own (the forwarding node
 * makes them). Every answer a function gives here carries x-flotilla-served-by, this node.
 * Two listeners: the tenant port serves routes only (/healthz, /readyz and /metrics there are
 * routes like any other) and strips every x-flotilla-* request header a client sent; the admin
 * port serves /healthz, /readyz and /metrics and is the peer path other nodes forward to (peer.ts):
 * a forwarded request there is served only with a peer credential that verifies (`peerAuth`,
 * peer/peer-auth.ts), else 401 PeerUnauthenticated before anything else reads it.
 * Admission (route, size, rate limit, a free worker or queue place) comes before the body is read,
 * then the route's authentication (`authenticated`, auth/route-auth.ts), also before the body.
 */
import * as http from 'node:http';
import type { Logger } from 'pino';
import { SERVED_BY_HEADER } from '../../api/index.ts';
import { HTTP_STATUS, NodeRuntimeError, type NodeRuntimeCode } from '../errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthOutcome } from '../auth/outcome.ts';
import type { InvocationMeta, InvocationOutcome, Invoker } from '../invoke/invoker.ts';
import type { RouteDef } from '../resolve/desired-state.ts';
import type { NodeMetrics } from '../metrics/metrics.ts';
import type { Held } from './cold-start.ts';
import { notConfigured, PeerAuthError, type PeerAuth, type PeerIdentity } from '../peer/peer-auth.ts';
import { Forwarder, peerClaim, relayedOutcome, relayedResponseHeaders, relayedResult, type Relayed } from './forward.ts';
import { isForwarded, takeForwarding, type Forwarding } from './peer.ts';
import { relayedClient, type RelayedClient } from './relay.ts';
import { RoutePolicies } from './route-policy.ts';
import { attemptDeadline, failureClass, isVerdict, nextAttempt, type AttemptResult, type FailureClass } from './route-policy-retry.ts';
import { pickBackend, type RouteMatch, type RouteTable } from './routes.ts';

export interface HttpContext {
  readonly invoker: Invoker;
  readonly routes: () => RouteTable;
  readonly logger: Logger;
  readonly metrics?: NodeMetrics;
  readonly maxRequestBytes: number;
  /** Largest answer relayed from another node (the function's own limit there is maxResponseBytes too). */
  readonly maxResponseBytes: number;
  /** This node's name: x-flotilla-served-by on the answers it runs, x-flotilla-forwarded-by on what it forwards. */
  readonly nodeName: string;
  /** Cluster mode, forwarding: the endpoints of the nodes running `functionKey` when it runs elsewhere only (remote), else undefined. */
  readonly remote?: (functionKey: string) => readonly string[] | undefined;
  /** Readiness and a detail object for /readyz. */
  readonly readiness: () => { readonly ready: boolean; readonly detail: unknown };
  /**
   * Scale from zero: holds a request for a function that is dormant here until it is loaded (or
   * says why not); undefined when the function needs no waiting. Absent: nothing is ever held.
   */
  readonly hold?: (functionKey: string, abandoned: AbortSignal) => Promise<Held> | undefined;
  /** The token of the workers' relays (http/relay.ts) on the tenant listener; absent: none is trusted. */
  readonly relayToken?: string;
  /** Brings counts kept elsewhere (the workers' inline requests) into the metrics before a scrape. */
  readonly flushMetrics?: () => Promise<void>;
  /** Authenticates a request of a route with auth (auth/route-auth.ts); absent: every such route answers 503, never open. */
  readonly authenticate?: (route: RouteDef, headers: http.IncomingHttpHeaders) => Promise<AuthOutcome>;
  /** Node identity: this node's credential on what it forwards, and the check of a peer's. Absent: nothing forwarded to this node is served (401), deny by default. */
  readonly peerAuth?: PeerAuth;
  /** Called with each refused peer request (metrics, audit log). */
  readonly peerRefused?: (error: PeerAuthError, forwarding: Forwarding, remote: string) => void;
  /** Called with each verified peer request (metrics). */
  readonly peerAccepted?: (identity: PeerIdentity) => void;
}

const EMPTY = new Uint8Array(0);

/** Seconds a client should wait after a 503 before retrying, when no policy says better. */
export const RETRY_AFTER_SECONDS = 1;

interface ErrorExtras {
  readonly invocationId?: string;
  /** Retry-After from a policy (rate limit, open circuit); a 503 without one says RETRY_AFTER_SECONDS. */
  readonly retryAfterMs?: number;
  /** Extra headers (x-flotilla-attempts). */
  readonly headers?: http.OutgoingHttpHeaders;
}

/** Answers a JSON error carrying the failure code (and invocation id), with Retry-After on a 503. */
export function sendError(res: http.ServerResponse, code: NodeRuntimeCode, message: string, extras: ErrorExtras = {}): void {
  const status = HTTP_STATUS[code];
  const { invocationId, retryAfterMs } = extras;
  const headers: http.OutgoingHttpHeaders = { ...extras.headers, 'content-type': 'application/json', 'x-flotilla-error': code };
  if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  else if (status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  if (invocationId) headers['x-flotilla-invocation-id'] = invocationId;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: code, message, ...(invocationId ? { invocationId } : {}) }));
}

/**
 * Reads the body up to `limit` bytes. Past it the rest is not read (the socket is paused): the
 * caller answers 413 on a connection that closes after the answer, so a chunked body of any size
 * gets its 413 instead of a reset.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new NodeRuntimeError('RequestTooLarge', `expected a request body of at most ${limit} bytes, got more; send less`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request headers as the function sees them (repeated ones joined). */
export function flatHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The node's two listeners, not yet listening: the tenant port (routes) and the admin port (probes, metrics, peers' forwarded requests). */
export interface HttpServers {
  readonly tenant: http.Server;
  readonly admin: http.Server;
}

/** Keep-alive and timeouts of every listener of the node (the workers' tenant listeners too). */
export const SERVER_OPTIONS: http.ServerOptions = { keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 300_000 };

/** Per-node routing state the requests of both listeners share. */
interface Routing {
  readonly policies: RoutePolicies;
  readonly forwarder: Forwarder;
  /** flotilla_http_requests_total{outcome="ok"}, bound once: the one series every served request counts in. */
  readonly served: { inc(): void } | undefined;
}

/** Creates the tenant and admin servers, sharing one set of route policies and one forwarder. */
export function createHttpServers(ctx: HttpContext): HttpServers {
  const peerAuth = ctx.peerAuth;
  const credential = peerAuth ? (claim: Parameters<PeerAuth['credential']>[0]) => peerAuth.credential(claim) : undefined;
  const routing: Routing = { policies: new RoutePolicies(), forwarder: new Forwarder(ctx.nodeName, ctx.maxResponseBytes, credential), served: ctx.metrics?.httpRequests.labels({ outcome: 'ok' }) };
  const route = (req: http.IncomingMessage, res: http.ServerResponse, fromPeer: boolean) => {
    // Read before the x-flotilla-* headers go: a worker's relay names the client it came from.
    const client = fromPeer ? undefined : relayedClient(req.headers, ctx.relayToken);
    const claim = fromPeer ? peerClaim(req.headers, req.method ?? 'GET', req.url ?? '/') : undefined;
    const forwarding = takeForwarding(req.headers, fromPeer);
    const served = forwarding && claim ? verifyPeer(ctx, req, res, forwarding, claim) : Promise.resolve(true);
    served.then((ok) => (ok ? handle(ctx, routing, req, res, forwarding, client) : undefined)).catch((err: unknown) => {
      ctx.logger.error({ err }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, 'Trap', 'internal error in the node');
      else res.destroy();
    });
  };
  const tenant = http.createServer(SERVER_OPTIONS, (req, res) => route(req, res, false));
  const admin = http.createServer(SERVER_OPTIONS, (req, res) => {
    if (isForwarded(req.headers)) route(req, res, true);
    else serveAdmin(ctx, req, res).catch((err: unknown) => {
      ctx.logger.error({ err }, 'Admin handler failed');
      res.destroy();
    });
  });
  tenant.once('close', () => routing.forwarder.close());
  return { tenant, admin };
}

/** Checks a forwarded request's peer credential; a refusal is answered here (401 PeerUnauthenticated, the request unread) and reported. */
async function verifyPeer(ctx: HttpContext, req: http.IncomingMessage, res: http.ServerResponse, forwarding: Forwarding, claim: ReturnType<typeof peerClaim>): Promise<boolean> {
  const verdict = ctx.peerAuth ? await ctx.peerAuth.verify(forwarding.credential, claim) : notConfigured();
  if (!(verdict instanceof PeerAuthError)) {
    ctx.peerAccepted?.(verdict);
    return true;
  }
  ctx.peerRefused?.(verdict, forwarding, req.socket.remoteAddress ?? '');
  ctx.logger.warn({ reason: verdict.code, forwardedBy: forwarding.by, remote: req.socket.remoteAddress }, 'Refused a forwarded request: peer not authenticated');
  // The body is never read: close the connection after the answer rather than drain what an unauthenticated sender sends.
  res.setHeader('connection', 'close');
  sendError(res, 'PeerUnauthenticated', `${verdict.code}: ${verdict.message}`);
  return false;
}

/** The admin port's own paths: liveness, readiness (with a detail object) and the Prometheus metrics. */
async function serveAdmin(ctx: HttpContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  req.resume();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (path === '/readyz') {
    const { ready, detail } = ctx.readiness();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(detail));
  } else if (path === '/metrics' && ctx.metrics) {
    await ctx.flushMetrics?.();
    const body = await ctx.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType }).end(body);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the admin port serves /healthz, /readyz and /metrics; functions are on the tenant port\n');
  }
}

function notPlacedHere(functionKey: string, node: string, forwardedBy: string): NodeRuntimeError {
  return new NodeRuntimeError(
    'NotPlacedHere',
    `expected node ${node} to run ${functionKey}, the backend node ${forwardedBy} forwarded this request for, got a node that does not (an assignment is stale); a forwarded request is never forwarded again; retry, the operator updates assignments within seconds`,
  );
}

/** A request's target as the request line gives it. */
export interface Target {
  readonly url: string;
  readonly path: string;
  readonly query: string;
  readonly method: string;
  readonly host: string;
}

/** The target of `req`: url, path, query, method and host (lowercase, without port). */
export function target(req: http.IncomingMessage): Target {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const hostHeader = (req.headers.host ?? '').toLowerCase();
  return {
    url,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? '' : url.slice(q + 1),
    method: req.method ?? 'GET',
    host: hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!,
  };
}

/** Refuses `res` with `code` on a connection that closes after the answer (what is left of the request is not read). */
function refuseAndClose(ctx: HttpContext, res: http.ServerResponse, code: NodeRuntimeCode, message: string): void {
  ctx.metrics?.httpRequests.inc({ outcome: code });
  res.shouldKeepAlive = false;
  sendError(res, code, message);
}

/**
 * Admission, before a byte of the body is read: a route, a declared size within the limit, a
 * backend that runs here for a forwarded request, a token of the route's rate limit, and room in
 * the worker pool for a backend that runs here. Answers the refusal itself; returns the backend.
 */
function admit(ctx: HttpContext, policies: RoutePolicies, req: http.IncomingMessage, res: http.ServerResponse, t: Target, forwarding: Forwarding | undefined): RouteMatch | undefined {
  const count = (outcome: string) => ctx.metrics?.httpRequests.inc({ outcome });
  const table = ctx.routes();
  policies.sync(table);
  const match = table.match(t.host, t.path, t.method);
  if (!match) {
    count('RouteNotFound');
    req.resume();
    sendError(res, 'RouteNotFound', `expected a FunctionRoute matching host ${JSON.stringify(t.host)}, path ${JSON.stringify(t.path)} and method ${t.method}, got none`);
    return undefined;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > ctx.maxRequestBytes) {
    refuseAndClose(ctx, res, 'RequestTooLarge', `expected a request body of at most ${ctx.maxRequestBytes} bytes, got ${declared}; send less`);
    return undefined;
  }
  const { route } = match;
  const isRemote = (key: string) => ctx.remote?.(key) !== undefined;
  let chosen = match;
  if (forwarding !== undefined) {
    // The forwarding node chose the backend by the route's weights: run that one (any other
    // backend of the route that runs here when it names none we know), never forward again.
    const pinned = forwarding.backend;
    const known = pinned !== undefined && route.backends.some((b) => b.functionKey === pinned) ? pinned : undefined;
    const functionKey = known ?? pickBackend(route, Math.random(), (key) => !isRemote(key));
    if (functionKey === undefined || isRemote(functionKey)) {
      count('NotPlacedHere');
      req.resume();
      sendError(res, 'NotPlacedHere', notPlacedHere(functionKey ?? route.backends.map((b) => b.functionKey).join(', '), ctx.nodeName, forwarding.by).message);
      return undefined;
    }
    chosen = { route, functionKey };
  }
  // Counted where the request arrives, forwarded or not: every node keeps its own buckets.
  const rate = policies.admit(route, Date.now());
  if (!rate.ok) {
    count('RateLimited');
    req.resume();
    const limit = route.rateLimit!;
    sendError(res, 'RateLimited', `route ${route.key} admits ${limit.requestsPerSecond} requests/s (burst ${limit.burst}) on this node, got more; retry after the Retry-After seconds`, { retryAfterMs: rate.retryAfterMs });
    return undefined;
  }
  if (!isRemote(chosen.functionKey) && !ctx.invoker.hasRoom()) {
    // The body would only wait in memory for a queue place that is not there.
    refuseAndClose(ctx, res, 'Overloaded', `function ${chosen.functionKey}: every worker is busy and the queue is full; retry later`);
    return undefined;
  }
  return chosen;
}

/** The body, read once admitted (most requests carry none: no read, no extra event loop turn); undefined when it was refused. */
async function requestBody(ctx: HttpContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<Uint8Array | undefined> {
  if (!(Number(req.headers['content-length'] ?? 0) > 0) && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return EMPTY;
  }
  try {
    return await readBody(req, ctx.maxRequestBytes);
  } catch (err) {
    if (!(err instanceof NodeRuntimeError)) throw err;
    refuseAndClose(ctx, res, err.code, err.message);
    return undefined;
  }
}

async function handle(ctx: HttpContext, routing: Routing, req: http.IncomingMessage, res: http.ServerResponse, forwarding: Forwarding | undefined, client: RelayedClient | undefined): Promise<void> {
  const t = target(req);
  const chosen = admit(ctx, routing.policies, req, res, t, forwarding);
  if (!chosen) return;
  const { route } = chosen;
  const authed = await authenticated(ctx, route, req, res);
  if (authed === undefined) return;
  const body = await requestBody(ctx, req, res);
  if (body === undefined) return;
  const socket = req.socket;
  const traceparentHeader = req.headers.traceparent;
  const meta: InvocationMeta = {
    trigger: 'http',
    request: {
      method: t.method,
      path: t.path,
      query: t.query,
      headers: authed ? withheld(flatHeaders(req), authed.withhold) : flatHeaders(req),
      host: t.host,
      scheme: 'http',
      serverPort: client?.serverPort ?? socket.localPort ?? 0,
      remoteAddr: client?.remoteAddr ?? socket.remoteAddress ?? '',
      matchedRoute: route.pathPrefix,
      ...(authed ? { caller: authed.caller } : {}),
    },
    ...(typeof traceparentHeader === 'string' ? { traceparent: traceparentHeader } : {}),
  };
  const run = async (functionKey: string, deadlineMs: number): Promise<Answer> => {
    const endpoints = ctx.remote?.(functionKey);
    if (endpoints === undefined) return { kind: 'outcome', outcome: await ctx.invoker.invoke(functionKey, body, { ...meta, deadlineMs }) };
    if (forwarding !== undefined) return { kind: 'failed', error: notPlacedHere(functionKey, ctx.nodeName, forwarding.by) };
    const relayed = await routing.forwarder.forward(functionKey, endpoints, { method: t.method, url: t.url, headers: req.headers, body }, deadlineMs);
    ctx.metrics?.httpForwarded.inc({ function: functionKey, outcome: relayed instanceof NodeRuntimeError ? relayed.code : relayedOutcome(relayed) });
    return relayed instanceof NodeRuntimeError ? { kind: 'failed', error: relayed } : { kind: 'relayed', relayed };
  };
  const result = await attempts(ctx, routing.policies, chosen, res, run, forwarding === undefined, client?.deadlineMs);
  if (result.kind === 'gone') return;
  respond(ctx, routing, res, t.method, result, route.retries !== undefined && forwarding === undefined);
}

/**
 * The route's authentication, after admission and before a byte of the body is read: null for a
 * route without auth, the admitted caller, or undefined when refused (answered here: 401/403 with
 * WWW-Authenticate, 503 when this node cannot enforce it). A forwarded request is authenticated
 * again on the node that runs it: the credential travels with it.
 */
async function authenticated(ctx: HttpContext, route: RouteDef, req: http.IncomingMessage, res: http.ServerResponse): Promise<Extract<AuthOutcome, { ok: true }> | null | undefined> {
  if (!route.auth) return null;
  const outcome: AuthOutcome = ctx.authenticate ? await ctx.authenticate(route, req.headers) : { ok: false, error: new NodeRuntimeError('AuthUnavailable', `route ${route.key}: this node enforces no route authentication`) };
  if (outcome.ok) return outcome;
  ctx.metrics?.httpRequests.inc({ outcome: outcome.error.code });
  req.resume();
  sendError(res, outcome.error.code, outcome.error.message, outcome.challenge !== undefined ? { headers: { 'www-authenticate': outcome.challenge } } : {});
  return undefined;
}

function withheld(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  for (const n of names) delete headers[n];
  return headers;
}

/** Writes the answer of the attempts: a relayed one as it came, a refusal or failure as a JSON error, a function's CGI response. */
function respond(ctx: HttpContext, routing: Routing, res: http.ServerResponse, method: string, result: Exclude<Attempts, { kind: 'gone' }>, sayAttempts: boolean): void {
  const count = (outcome: string) => ctx.metrics?.httpRequests.inc({ outcome });
  const extra: http.OutgoingHttpHeaders = sayAttempts ? { 'x-flotilla-attempts': result.attempts } : {};
  if (result.kind === 'relayed') {
    const { relayed } = result;
    count(relayedOutcome(relayed));
    const headers = relayedResponseHeaders(relayed.headers, ctx.nodeName, relayed.body.length);
    // A HEAD answer has no body but says how long the GET one is.
    if (method === 'HEAD' && relayed.headers['content-length'] !== undefined) headers['content-length'] = relayed.headers['content-length'];
    res.writeHead(relayed.status, { ...headers, ...extra });
    res.end(method === 'HEAD' ? undefined : relayed.body);
    return;
  }
  if (result.kind === 'refused') {
    count(result.error.code);
    sendError(res, result.error.code, result.error.message, { headers: extra, ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}) });
    return;
  }
  const { outcome, coldStartMs } = result;
  if (!outcome.ok) {
    count(outcome.error.code);
    res.setHeader('traceparent', outcome.traceparent);
    sendError(res, outcome.error.code, outcome.error.message, { invocationId: outcome.invocationId, headers: { ...extra, [SERVED_BY_HEADER]: ctx.nodeName } });
    return;
  }
  routing.served?.inc();
  writeAnswer(res, method, outcome, ctx.nodeName, { ...(coldStartMs !== undefined ? { 'x-flotilla-cold-start-ms': Math.round(coldStartMs) } : {}), ...extra });
}

/** A function's answer as written on every listener: its CGI headers, then the node's (invocation id, served-by, digest, `extra`, traceparent, length). */
export function writeAnswer(res: http.ServerResponse, method: string, outcome: InvocationAnswer, nodeName: string, extra: http.OutgoingHttpHeaders = {}): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of outcome.headers) {
    const lower = k.toLowerCase();
    const prev = headers[lower];
    headers[lower] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [String(prev)]), v];
  }
  headers['x-flotilla-invocation-id'] = outcome.invocationId;
  headers[SERVED_BY_HEADER] = nodeName;
  if (outcome.digest !== undefined) headers['x-flotilla-digest'] = outcome.digest;
  Object.assign(headers, extra);
  headers.traceparent = outcome.traceparent;
  headers['content-length'] = outcome.body.length;
  res.writeHead(outcome.status, headers);
  if (method === 'HEAD') res.end();
  // A string goes out in one write with the head; a buffer takes a writev of two (measured: the
  // syscall is most of an inline request's time). latin1 maps each byte to itself.
  else if (outcome.body.length <= ONE_WRITE_BYTES) res.end(Buffer.from(outcome.body.buffer, outcome.body.byteOffset, outcome.body.length).toString('latin1'), 'latin1');
  else res.end(outcome.body);
}

/** Bodies up to this size are sent in the same write as the head. */
const ONE_WRITE_BYTES = 16 * 1024;

/** What writeAnswer needs of a successful invocation. */
export type InvocationAnswer = Pick<Extract<InvocationOutcome, { ok: true }>, 'invocationId' | 'traceparent' | 'status' | 'headers' | 'body' | 'digest'>;

/** How one attempt went: the local invocation's outcome, another node's answer (forwarded), or why neither came. */
type Answer =
  | { readonly kind: 'outcome'; readonly outcome: InvocationOutcome }
  | { readonly kind: 'relayed'; readonly relayed: Relayed }
  | { readonly kind: 'failed'; readonly error: NodeRuntimeError };

type Attempts =
  | { readonly kind: 'answered'; readonly outcome: InvocationOutcome; readonly attempts: number; readonly coldStartMs?: number }
  /** Another node ran it (forwarded): its answer as it came. */
  | { readonly kind: 'relayed'; readonly relayed: Relayed; readonly attempts: number }
  /** Nothing was sent: every backend's circuit is open (or a cold start failed before any invocation). */
  | { readonly kind: 'refused'; readonly error: NodeRuntimeError; readonly attempts: number; readonly retryAfterMs?: number }
  /** The client left while its request was held. */
  | { readonly kind: 'gone' };

/**
 * Runs a routed request through the route's circuit breakers and retries (route-policy*.ts):
 * each attempt goes to a backend whose circuit admits it (a retry prefers one not tried yet),
 * waits for a dormant backend to load (cold-start.ts), goes to another node for a remote one
 * (forward.ts), and is bounded by perTryTimeoutMs and by the route's timeoutMs counted from the
 * first invocation. The last outcome is the answer. `retry` false: one attempt only (a request
 * another node forwarded here: that node retries). `handedOffDeadlineMs`: the deadline a worker's
 * listener gave the request on arrival before it handed it off (http/relay.ts); it stands instead.
 */
async function attempts(
  ctx: HttpContext,
  policies: RoutePolicies,
  match: RouteMatch,
  res: http.ServerResponse,
  invoke: (functionKey: string, deadlineMs: number) => Promise<Answer>,
  retry: boolean,
  handedOffDeadlineMs: number | undefined,
): Promise<Attempts> {
  const { route } = match;
  // A caller that hung up gets no more tries on its behalf.
  const callerGone = () => res.destroyed || (res.socket?.destroyed ?? false);
  const tried = new Set<string>();
  let last: Attempts | undefined;
  // From the first invocation, not from arrival: the route's timeout is sized for the function's work, and a cold start's wait has its own bound.
  let deadlineMs = handedOffDeadlineMs;
  for (let attempt = 1; ; attempt++) {
    const now = Date.now();
    const admits = (key: string) => policies.breaker(route, key, now)?.admits(now) ?? true;
    const untried = (key: string) => admits(key) && !tried.has(key);
    const functionKey = attempt === 1 && admits(match.functionKey) ? match.functionKey : (pickBackend(route, Math.random(), untried) ?? pickBackend(route, Math.random(), admits));
    if (functionKey === undefined) {
      if (last) return last;
      const wait = Math.min(...route.backends.map((b) => policies.breaker(route, b.functionKey, now)?.retryAfterMs(now) ?? 0));
      const error = new NodeRuntimeError('CircuitOpen', `route ${route.key}: the circuit of every backend is open after repeated failures (circuitBreaker.consecutiveErrors ${route.circuitBreaker?.consecutiveErrors}); retry after the Retry-After seconds, and fix the function`);
      return { kind: 'refused', error, attempts: 0, retryAfterMs: wait };
    }
    tried.add(functionKey);
    const breaker = policies.breaker(route, functionKey, now);
    const ticket = breaker?.begin(now);
    let failure: FailureClass | undefined;
    // Whether the attempt ended with something the breaker should count (success or failure).
    let verdict = false;
    try {
      const held = await hold(ctx, functionKey, res);
      if (held === 'gone') return { kind: 'gone' };
      let result: AttemptResult;
      if (held !== undefined && !held.ok) {
        result = { ok: false, code: held.error.code };
        last = { kind: 'refused', error: held.error, attempts: attempt };
      } else {
        deadlineMs ??= Date.now() + route.timeoutMs;
        const answer = await invoke(functionKey, attemptDeadline(route.retries, route.timeoutMs, Date.now(), deadlineMs));
        if (answer.kind === 'outcome') {
          const { outcome } = answer;
          result = outcome.ok ? outcome : { ok: false, code: outcome.error.code };
          last = { kind: 'answered', outcome, attempts: attempt, ...(held !== undefined ? { coldStartMs: held.waitedMs } : {}) };
        } else if (answer.kind === 'relayed') {
          result = relayedResult(answer.relayed);
          last = { kind: 'relayed', relayed: answer.relayed, attempts: attempt };
        } else {
          result = { ok: false, code: answer.error.code };
          last = { kind: 'refused', error: answer.error, attempts: attempt };
        }
      }
      failure = failureClass(result);
      verdict = isVerdict(result);
    } finally {
      if (breaker && ticket !== undefined) {
        if (!verdict) breaker.release(ticket, Date.now());
        else if (breaker.record(ticket, failure !== undefined, Date.now())) {
          ctx.metrics?.circuitOpened.inc({ route: route.key, function: functionKey });
          ctx.logger.warn({ route: route.key, function: functionKey, openMs: route.circuitBreaker?.openMs }, `Opened circuit of ${functionKey} on route ${route.key} after ${route.circuitBreaker?.consecutiveErrors} consecutive failures`);
        }
      }
    }
    deadlineMs ??= Date.now() + route.timeoutMs;
    const delay = route.retries && retry && !callerGone() ? nextAttempt(route.retries, attempt, failure, Date.now(), deadlineMs, Math.random()) : undefined;
    if (delay === undefined) return last;
    ctx.metrics?.httpRetries.inc({ route: route.key });
    if (delay > 0) await sleep(delay);
    if (callerGone()) return last;
  }
}

/**
 * Holds the request while `functionKey` is dormant here: undefined when it needs no waiting,
 * 'gone' when the client left meanwhile (it frees its place and stops counting as demand).
 */
async function hold(ctx: HttpContext, functionKey: string, res: http.ServerResponse): Promise<Held | 'gone' | undefined> {
  const gone = new AbortController();
  const holding = ctx.hold?.(functionKey, gone.signal);
  if (!holding) return undefined;
  const onClose = () => {
    if (!res.writableEnded) gone.abort();
  };
  res.once('close', onClose);
  const held = await holding;
  res.off('close', onClose);
  return gone.signal.aborted ? 'gone' : held;
}
