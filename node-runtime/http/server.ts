/**
 * The HTTP adapter: node:http with keep-alive in front of the invoker. It matches the route table,
 * enforces the request size limit while reading, hands the request to `invoke`, and writes the
 * function's CGI response (with x-flotilla-digest, the module that answered) or a JSON error
 * carrying the failure code and invocation id. A request for a dormant function is held until it is
 * loaded (cold-start.ts); its answer carries x-flotilla-cold-start-ms, the time it was held. Three
 * paths are the node's own: /healthz, /readyz and /metrics.
 */
import * as http from 'node:http';
import type { Logger } from 'pino';
import { HTTP_STATUS, NodeRuntimeError, type NodeRuntimeCode } from '../errors.ts';
import type { Invoker } from '../invoke/invoker.ts';
import type { NodeMetrics } from '../metrics/metrics.ts';
import type { Held } from './cold-start.ts';
import type { RouteTable } from './routes.ts';

export interface HttpContext {
  readonly invoker: Invoker;
  readonly routes: () => RouteTable;
  readonly logger: Logger;
  readonly metrics?: NodeMetrics;
  readonly maxRequestBytes: number;
  /** Readiness and a detail object for /readyz. */
  readonly readiness: () => { readonly ready: boolean; readonly detail: unknown };
  /**
   * Scale from zero: holds a request for a function that is dormant here until it is loaded (or
   * says why not); undefined when the function needs no waiting. Absent: nothing is ever held.
   */
  readonly hold?: (functionKey: string, abandoned: AbortSignal) => Promise<Held> | undefined;
}

const EMPTY = new Uint8Array(0);

/** Seconds a client should wait after a 503 before retrying. */
export const RETRY_AFTER_SECONDS = 1;

function sendError(res: http.ServerResponse, code: NodeRuntimeCode, message: string, invocationId?: string): void {
  const status = HTTP_STATUS[code];
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'x-flotilla-error': code };
  if (status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  if (invocationId) headers['x-flotilla-invocation-id'] = invocationId;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: code, message, ...(invocationId ? { invocationId } : {}) }));
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new NodeRuntimeError('RequestTooLarge', `expected a request body of at most ${limit} bytes, got more; send less`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function flatHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export function createHttpServer(ctx: HttpContext): http.Server {
  const server = http.createServer({ keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 300_000 }, (req, res) => {
    void handle(ctx, req, res).catch((err: unknown) => {
      ctx.logger.error({ err }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, 'Trap', 'internal error in the node');
      else res.destroy();
    });
  });
  return server;
}

async function handle(ctx: HttpContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const method = req.method ?? 'GET';
  const count = (outcome: string) => ctx.metrics?.httpRequests.inc({ outcome });

  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (path === '/readyz') {
    const { ready, detail } = ctx.readiness();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(detail));
    return;
  }
  if (path === '/metrics' && ctx.metrics) {
    const body = await ctx.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType }).end(body);
    return;
  }

  const hostHeader = (req.headers.host ?? '').toLowerCase();
  const host = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!;
  const match = ctx.routes().match(host, path, method);
  if (!match) {
    count('RouteNotFound');
    sendError(res, 'RouteNotFound', `expected a FunctionRoute matching host ${JSON.stringify(host)}, path ${JSON.stringify(path)} and method ${method}, got none`);
    return;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > ctx.maxRequestBytes) {
    count('RequestTooLarge');
    res.shouldKeepAlive = false;
    sendError(res, 'RequestTooLarge', `expected a request body of at most ${ctx.maxRequestBytes} bytes, got ${declared}; send less`);
    return;
  }
  let body: Uint8Array = EMPTY;
  try {
    // Most requests carry no body: skip the read (and its extra event loop turn) for them.
    if (declared > 0 || req.headers['transfer-encoding'] !== undefined) body = await readBody(req, ctx.maxRequestBytes);
    else req.resume();
  } catch (err) {
    if (err instanceof NodeRuntimeError) {
      count(err.code);
      res.shouldKeepAlive = false;
      sendError(res, err.code, err.message);
      return;
    }
    throw err;
  }
  let coldStartMs: number | undefined;
  const gone = new AbortController();
  const holding = ctx.hold?.(match.functionKey, gone.signal);
  if (holding) {
    // A client that gives up while held frees its place (and stops counting as demand).
    const onClose = () => {
      if (!res.writableEnded) gone.abort();
    };
    res.once('close', onClose);
    const held = await holding;
    res.off('close', onClose);
    if (gone.signal.aborted) return;
    if (!held.ok) {
      count(held.error.code);
      sendError(res, held.error.code, held.error.message);
      return;
    }
    coldStartMs = held.waitedMs;
  }
  const socket = req.socket;
  const traceparentHeader = req.headers.traceparent;
  const outcome = await ctx.invoker.invoke(match.functionKey, body, {
    trigger: 'http',
    request: {
      method,
      path,
      query,
      headers: flatHeaders(req),
      host,
      scheme: 'http',
      serverPort: socket.localPort ?? 0,
      remoteAddr: socket.remoteAddress ?? '',
      matchedRoute: match.route.pathPrefix,
    },
    ...(typeof traceparentHeader === 'string' ? { traceparent: traceparentHeader } : {}),
    // From now, not from arrival: the route's timeout is sized for the function's work, and a cold start's wait has its own bound.
    deadlineMs: Date.now() + match.route.timeoutMs,
  });
  if (!outcome.ok) {
    count(outcome.error.code);
    res.setHeader('traceparent', outcome.traceparent);
    sendError(res, outcome.error.code, outcome.error.message, outcome.invocationId);
    return;
  }
  count('ok');
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of outcome.headers) {
    const lower = k.toLowerCase();
    const prev = headers[lower];
    headers[lower] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [String(prev)]), v];
  }
  headers['x-flotilla-invocation-id'] = outcome.invocationId;
  if (outcome.digest !== undefined) headers['x-flotilla-digest'] = outcome.digest;
  if (coldStartMs !== undefined) headers['x-flotilla-cold-start-ms'] = Math.round(coldStartMs);
  headers.traceparent = outcome.traceparent;
  headers['content-length'] = outcome.body.length;
  res.writeHead(outcome.status, headers);
  res.end(method === 'HEAD' ? undefined : outcome.body);
}
