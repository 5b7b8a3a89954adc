/** GET with a chosen Host header (fetch cannot set Host), for probing routed functions on a node. */
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

/** Status code, headers and body of GET `url` sent with `Host: host`. */
export function getWithHost(url: string, host: string, timeoutMs = 5000): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { host }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} (Host ${host}): no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
