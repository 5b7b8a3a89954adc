/**
 * Draining an HTTP server on shutdown. `server.close()` alone stops accepting but leaves a
 * keep-alive connection open after its in-flight request (the client may even send another on it),
 * so it would wait for the keep-alive timeout; closing every connection at once cuts in-flight
 * requests. Here: stop accepting, answer what is in flight with `Connection: close`, close each
 * connection as its last response ends, and cut what is left at the bound.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A server's requests in flight, counted from when it starts serving. */
export interface RequestTracker {
  /** Requests whose response has not ended. */
  readonly inFlight: number;
  /**
   * Stops accepting and resolves once every in-flight request has been answered (true) or at
   * `graceMs`, when the remaining connections are cut (false).
   */
  drain(graceMs: number): Promise<boolean>;
}

/** Tracks `server`'s requests; attach before it listens so none goes uncounted. */
export function trackRequests(server: Server): RequestTracker {
  const active = new Set<ServerResponse>();
  let draining = false;
  let settle: (() => void) | undefined;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    active.add(res);
    // One that arrives on a kept-alive connection while draining is served, on a connection that then closes.
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      active.delete(res);
      if (!draining) return;
      server.closeIdleConnections();
      if (active.size === 0) settle?.();
    });
  });
  return {
    get inFlight() {
      return active.size;
    },
    async drain(graceMs) {
      draining = true;
      for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const answered = active.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (settle = resolve));
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([answered.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
      clearTimeout(timer);
      // Whatever is still open (a request past the bound, an idle socket mid-close) goes now.
      server.closeAllConnections();
      await closed;
      return inTime;
    },
  };
}
