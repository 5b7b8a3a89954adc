import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSources {
  readonly registry: Registry;
  /** Liveness: false only when the process should be restarted. */
  readonly healthy: () => boolean;
  /** Readiness: caches synced (a standby replica is ready too: it can take over at once). */
  readonly ready: () => boolean;
}

export interface HealthServer {
  /** http://host:port the server listens on. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves /metrics (Prometheus text), /healthz and /readyz on `host:port` (port 0 picks a free one). */
export async function startHealthServer(sources: HealthSources, host: string, port: number): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      sources.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': sources.registry.contentType }).end(text))
        .catch((err: unknown) => res.writeHead(500).end(`metrics failed: ${(err as Error).message}\n`));
      return;
    }
    const probe = path === '/healthz' ? sources.healthy : path === '/readyz' ? sources.ready : undefined;
    if (!probe) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
      return;
    }
    const ok = probe();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
