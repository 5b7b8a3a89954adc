import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { fetch } from 'undici';
import { KubeApiError, codeForStatus } from './errors.ts';

/** One event from a watch stream, as the API server sends it. */
export interface WatchEvent<T = unknown> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  /** Content-Type of the body; PATCH needs one of the patch types. */
  contentType?: 'application/json' | 'application/json-patch+json' | 'application/merge-patch+json' | 'application/apply-patch+yaml';
  signal?: AbortSignal;
}

/**
 * The API server as a dependency: plain REST over the caller's kubeconfig. Every controller talks
 * through this one interface, so the wire (auth, TLS, error mapping) lives in one place.
 */
export interface KubeClient {
  request<T>(req: KubeRequest): Promise<T>;
  /** Opens a watch on a collection path and yields its events until the server ends it or `signal` aborts. */
  watch<T>(path: string, query: Query, signal: AbortSignal): AsyncIterable<WatchEvent<T>>;
}

/** A KubeClient over a @kubernetes/client-node KubeConfig (token, client certs, exec plugins, in-cluster). */
export function createKubeClient(kc: KubeConfig): KubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeApiError('BadRequest', 0, 'kubeconfig has no current cluster: set current-context or pass --kubeconfig');
  const server = cluster.server.replace(/\/$/, '');

  async function send(method: KubeRequest['method'], path: string, query: Query | undefined, init: { body?: string; contentType?: string; signal?: AbortSignal }) {
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    await kc.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = { ...ctx.getHeaders(), accept: 'application/json' };
    if (init.contentType !== undefined) headers['content-type'] = init.contentType;
    try {
      return await fetch(url, { method, headers, body: init.body, dispatcher: ctx.getDispatcher() as never, signal: init.signal });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new KubeApiError('Unreachable', 0, `${method} ${url.pathname}: API server ${server} unreachable: ${(err as Error).message}`, { cause: err });
    }
  }

  async function failure(method: string, path: string, res: { status: number; text(): Promise<string> }): Promise<KubeApiError> {
    const text = await res.text();
    let status: { reason?: string; message?: string } = {};
    try {
      status = JSON.parse(text) as typeof status;
    } catch {
      status = { message: text.slice(0, 200) };
    }
    return new KubeApiError(codeForStatus(res.status, status.reason), res.status, `${method} ${path}: ${res.status} ${status.reason ?? ''} ${status.message ?? ''}`.trim());
  }

  return {
    async request<T>(req: KubeRequest): Promise<T> {
      const body = req.body === undefined ? undefined : JSON.stringify(req.body);
      const contentType = req.contentType ?? (body === undefined ? undefined : 'application/json');
      const res = await send(req.method, req.path, req.query, { body, contentType, signal: req.signal });
      if (!res.ok) throw await failure(req.method, req.path, res);
      const text = await res.text();
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },

    async *watch<T>(path: string, query: Query, signal: AbortSignal): AsyncIterable<WatchEvent<T>> {
      const res = await send('GET', path, { ...query, watch: true }, { signal });
      if (!res.ok) throw await failure('WATCH', path, res);
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for await (const chunk of res.body) {
          buffered += decoder.decode(chunk as Uint8Array, { stream: true });
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line !== '') yield JSON.parse(line) as WatchEvent<T>;
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        throw new KubeApiError('Unreachable', 0, `WATCH ${path}: stream broke: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
