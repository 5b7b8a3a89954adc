/** A tiny node:http client for the tests: fetch() cannot set the Host header routes match on. */
import * as http from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

const agent = new http.Agent({ keepAlive: true });

export function request(baseUrl: string, path: string, o: { method?: string; host?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<Reply> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'), agent, headers: { ...(o.host ? { host: o.host } : {}), ...o.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
