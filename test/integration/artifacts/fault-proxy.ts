/**
 * A fault-injecting HTTP proxy in front of the REAL registry, for the faults a healthy registry
 * cannot be made to produce: a lying Content-Length, a body cut short, a flipped byte, a connection
 * dropped mid-upload, a stretch of 503s. Everything else passes through untouched, Host header
 * included, so the registry's upload Locations point back through the proxy.
 */
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to do to one request; undefined passes it through. */
export type Fault =
  | { readonly kind: 'content-length'; readonly value: number }
  | { readonly kind: 'truncate'; readonly keep: number }
  | { readonly kind: 'flip-byte'; readonly at: number }
  | { readonly kind: 'replace-body'; readonly body: Uint8Array }
  | { readonly kind: 'cut-request'; readonly afterBytes: number }
  | { readonly kind: 'status'; readonly status: number; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: 'stall'; readonly keep: number }
  | { readonly kind: 'header'; readonly name: string; readonly value: string };

export interface FaultProxy {
  /** host:port of the proxy. */
  readonly host: string;
  /** Requests seen, as "METHOD path". */
  readonly log: string[];
  /** Decides per request. */
  setFault(decide: (req: IncomingMessage) => Fault | undefined): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [upHost, upPort] = upstream.split(':') as [string, string];
  let decide: (req: IncomingMessage) => Fault | undefined = () => undefined;
  const log: string[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    log.push(`${req.method} ${req.url}`);
    const fault = decide(req);
    if (fault?.kind === 'status') {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end('{"errors":[{"code":"UNAVAILABLE","message":"fault proxy"}]}');
      return;
    }
    const up = request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        let body = Buffer.concat(chunks);
        const headers = { ...upRes.headers };
        if (fault?.kind === 'flip-byte' && body.length > fault.at) {
          body = Buffer.from(body);
          body[fault.at] = (body[fault.at] ?? 0) ^ 0xff;
        }
        if (fault?.kind === 'replace-body') {
          body = Buffer.from(fault.body);
          headers['content-length'] = String(body.length);
        }
        if (fault?.kind === 'content-length') headers['content-length'] = String(fault.value);
        if (fault?.kind === 'header') headers[fault.name] = fault.value;
        res.writeHead(upRes.statusCode ?? 502, headers);
        if (fault?.kind === 'stall') {
          // Headers and a prefix, then silence with the connection held open.
          res.write(body.subarray(0, fault.keep));
          return;
        }
        if (fault?.kind === 'truncate') {
          // Headers promise the whole body; the connection dies after `keep` bytes.
          res.write(body.subarray(0, fault.keep), () => res.socket?.destroy());
          return;
        }
        if (fault?.kind === 'content-length' && fault.value > body.length) {
          res.write(body, () => res.socket?.destroy());
          return;
        }
        res.end(req.method === 'HEAD' ? undefined : body.subarray(0, fault?.kind === 'content-length' ? fault.value : body.length));
      });
    });
    up.on('error', () => res.socket?.destroy());
    if (fault?.kind === 'cut-request') {
      // The client is mid-upload when the "registry" vanishes: forward a prefix, then drop both sides.
      let seen = 0;
      req.on('data', (c: Buffer) => {
        seen += c.length;
        if (seen >= fault.afterBytes) {
          up.destroy();
          req.socket.destroy();
        } else up.write(c);
      });
      req.on('end', () => {
        up.destroy();
        req.socket.destroy();
      });
      return;
    }
    req.pipe(up);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    log,
    setFault: (d) => {
      decide = d;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
