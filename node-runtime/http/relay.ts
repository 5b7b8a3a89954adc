/**
 * The slow way from a worker's tenant listener to the main thread: a request the worker does not
 * run inline (http/inline.ts) is piped, as it arrives, to the main thread's internal listener on
 * 127.0.0.1, whose handle() (server.ts) does all of today's work: admission before the body, 413,
 * rate limits, breakers, retries, cold-start holds, forwarding. The answer is piped back as it
 * came. The relay names the client (its address, the port it reached) in x-flotilla-relay with a
 * per-node random token, so the function sees the same CGI variables either way; the token makes
 * the header worthless to anyone else (the tenant listener strips x-flotilla-* from clients).
 * A request whose inline run passed the inline budget is handed off the same way, with the body
 * the worker read and the deadline it was given on arrival (the same header carries it): the main
 * thread runs it in the pool with what is left of its timeout, not a new one.
 */
import * as http from 'node:http';
import { sendError } from './server.ts';

/** Carries `<token> <server port> <deadline ms or -> <remote address>` from a worker to the main thread's listener. */
export const RELAY_HEADER = 'x-flotilla-relay';

/** The client a relayed request came from, as the worker's listener saw it. */
export interface RelayedClient {
  readonly serverPort: number;
  readonly remoteAddr: string;
  /** A handed-off request's deadline (ms since epoch), set when it arrived; absent for a relayed one. */
  readonly deadlineMs?: number;
}

/** The client named by a relay carrying `token`; undefined for any other request (or no token). */
export function relayedClient(headers: http.IncomingHttpHeaders, token: string | undefined): RelayedClient | undefined {
  const value = headers[RELAY_HEADER];
  if (token === undefined || typeof value !== 'string') return undefined;
  const [given, port, deadline, ...addr] = value.split(' ');
  if (given !== token) return undefined;
  const deadlineMs = Number(deadline);
  return { serverPort: Number(port), remoteAddr: addr.join(' '), ...(deadline !== '-' && Number.isFinite(deadlineMs) ? { deadlineMs } : {}) };
}

/** Pipes requests to the main thread's internal listener over kept-alive connections. */
export class Relay {
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly port: number;
  private readonly token: string;
  private readonly maxRequestBytes: number;

  constructor(port: number, token: string, maxRequestBytes: number) {
    this.port = port;
    this.token = token;
    this.maxRequestBytes = maxRequestBytes;
  }

  /** Pipes `req` there and the answer back to `res`; what the client did not send yet of a refused body is not read. */
  pass(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.sendBody(req, this.open(req, res, undefined));
  }

  /** Sends `req`, whose `body` the worker already read, there with its `deadlineMs` and the answer back to `res` (an abandoned inline run). */
  handOff(req: http.IncomingMessage, res: http.ServerResponse, body: Uint8Array, deadlineMs: number): void {
    this.open(req, res, deadlineMs).end(body);
  }

  /** The request to the main thread, its answer piped back to `res`. */
  private open(req: http.IncomingMessage, res: http.ServerResponse, deadlineMs: number | undefined): http.ClientRequest {
    const socket = req.socket;
    const headers = { ...req.headers, [RELAY_HEADER]: `${this.token} ${socket.localPort ?? 0} ${deadlineMs ?? '-'} ${socket.remoteAddress ?? ''}` };
    const upstream = http.request({ host: '127.0.0.1', port: this.port, method: req.method, path: req.url, headers, agent: this.agent }, (answer) => {
      // An answer before the whole body (a 413, a 429) ends the exchange, as on the main listener.
      if (!req.complete) {
        req.unpipe(upstream);
        req.pause();
        res.shouldKeepAlive = false;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) sendError(res, 'Trap', `internal error in the node: relay to its main thread failed (${err.message})`);
      else res.destroy();
    });
    // A client that hangs up is gone for the main thread too (a held request stops counting as demand).
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    return upstream;
  }

  /**
   * Sends no more of the body than the main thread reads: none past a declared length over the
   * limit (it refuses from the headers), one byte past the limit of a chunked one (it reads that
   * far, then refuses). A body it did not read would make it close on unread data (a reset), which
   * can lose its 413 on the way back.
   */
  private sendBody(req: http.IncomingMessage, upstream: http.ClientRequest): void {
    if (Number(req.headers['content-length'] ?? 0) > this.maxRequestBytes) {
      upstream.end();
      return;
    }
    if (req.headers['transfer-encoding'] === undefined) {
      req.pipe(upstream);
      return;
    }
    let left = this.maxRequestBytes + 1;
    const onData = (chunk: Buffer) => {
      const part = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= part.length;
      if (!upstream.write(part)) req.pause();
      if (left === 0) {
        req.off('data', onData);
        req.pause();
        upstream.end();
      }
    };
    upstream.on('drain', () => {
      if (left > 0) req.resume();
    });
    req.on('data', onData);
    req.on('end', () => {
      if (left > 0) upstream.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
