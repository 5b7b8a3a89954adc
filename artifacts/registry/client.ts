import { OciError } from '../errors.ts';
import { parseChallenge, repositoryScope } from './challenge.ts';
import type { Challenge } from './challenge.ts';
import type { Credential, CredentialSource } from './credentials.ts';
import type { TransportOptions } from './transport.ts';
import { DEFAULT_TRANSPORT, parseRetryAfter, StallTimer, TransientError, toTransient } from './transport.ts';

/** How to reach one registry. */
export interface RegistryOptions {
  readonly credentials?: CredentialSource;
  /** Plain http for a non-loopback host. Loopback registries (127.0.0.1, localhost, [::1]) use http always. @default false */
  readonly insecure?: boolean;
  readonly transport?: Partial<TransportOptions>;
  /** Appended to the User-Agent header. */
  readonly userAgent?: string;
}

/** One request: the body is a factory so a retry can send it again. */
export interface RegistryRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: () => Uint8Array | ReadableStream<Uint8Array>;
  /** Token scopes this request needs (`repository:x:pull`). */
  readonly scopes: readonly string[];
}

const LOOPBACK = /^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])(?::\d+)?$/;

/** Loopback hosts talk plain http; everything else https unless explicitly marked insecure. */
export function registryBaseUrl(host: string, insecure: boolean): string {
  return `${LOOPBACK.test(host) || insecure ? 'http' : 'https'}://${host}`;
}

/**
 * Distribution-spec HTTP client for one registry host: auth challenges (anonymous, Basic, Bearer
 * token service), token caching per scope, per-request stall timeouts, and classification of
 * 429/5xx/connection loss as transient (the caller retries with withRetries, body reads included).
 */
export class RegistryClient {
  readonly host: string;
  readonly baseUrl: string;
  readonly transport: TransportOptions;
  readonly #credentials: CredentialSource | undefined;
  readonly #userAgent: string;
  readonly #tokens = new Map<string, string>();
  readonly #timers = new WeakMap<Response, StallTimer>();
  #challenge: Challenge | undefined;

  constructor(host: string, options: RegistryOptions = {}) {
    this.host = host;
    this.baseUrl = registryBaseUrl(host, options.insecure ?? false);
    this.transport = { ...DEFAULT_TRANSPORT, ...options.transport };
    this.#credentials = options.credentials;
    this.#userAgent = `flotilla/0.1${options.userAgent ? ` ${options.userAgent}` : ''}`;
  }

  /** GET /v2/: checks the registry speaks the distribution API and learns its auth challenge. */
  async ping(): Promise<{ readonly authScheme: 'none' | 'basic' | 'bearer' }> {
    const res = await this.send({ method: 'GET', url: '/v2/', scopes: [] });
    await res.body?.cancel();
    if (res.status === 200) return { authScheme: this.#challenge?.scheme ?? 'none' };
    throw await this.failure(res, 'GET /v2/');
  }

  /**
   * Sends a request, answering one auth challenge. 429 and 5xx become TransientError (with
   * Retry-After); other statuses are returned for the caller to judge. The body is unread.
   */
  async send(req: RegistryRequest): Promise<Response> {
    let res = await this.#fetch(req, await this.#authorization(req.scopes));
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      await res.body?.cancel();
      if (challenge === undefined) throw new OciError('Unauthorized', `${req.method} ${req.url}: expected a Basic or Bearer challenge with 401, got ${res.headers.get('www-authenticate') ?? 'none'}`);
      this.#challenge = challenge;
      if (challenge.scheme === 'bearer') await this.#fetchToken(challenge, req.scopes);
      res = await this.#fetch(req, await this.#authorization(req.scopes));
      if (res.status === 401) {
        await res.body?.cancel();
        throw new OciError('Unauthorized', `${req.method} ${this.host}${req.url}: expected access with ${await this.#credentialsUsed()}, got 401; ${this.#credentials ? 'check the credentials' : 'log in (docker config.json)'}`);
      }
    }
    if (res.status === 429 || res.status >= 500) {
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      await res.body?.cancel();
      throw new TransientError('RegistryUnavailable', `${req.method} ${this.host}${req.url}: expected a response, got HTTP ${res.status}`, retryAfter);
    }
    return res;
  }

  /** An OciError for an unexpected status, with the registry's error body when it has one. */
  async failure(res: Response, what: string): Promise<OciError> {
    const text = (await res.text().catch(() => '')).slice(0, 500);
    let detail = text;
    try {
      const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      detail = (body.errors ?? []).map((e) => `${e.code ?? '?'}: ${e.message ?? ''}`).join('; ') || text;
    } catch {
      // not JSON: keep the text
    }
    const code = res.status === 404 ? 'ManifestNotFound' : res.status === 403 ? 'Denied' : res.status === 401 ? 'Unauthorized' : 'ProtocolError';
    return new OciError(code, `${what} at ${this.host}: expected success, got HTTP ${res.status}${detail ? ` (${detail})` : ''}`);
  }

  /** Absolute URL for a path or an upload Location (which may be relative). */
  url(pathOrUrl: string): string {
    return new URL(pathOrUrl, this.baseUrl).toString();
  }

  async #fetch(req: RegistryRequest, authorization: string | undefined): Promise<Response> {
    const timer = new StallTimer(this.transport.timeoutMs);
    try {
      const body = uploadBody(req.body?.(), timer);
      const res = await fetch(this.url(req.url), {
        method: req.method,
        headers: { 'user-agent': this.#userAgent, ...(authorization ? { authorization } : {}), ...req.headers },
        ...(body !== undefined ? { body, duplex: 'half' } : {}),
        redirect: 'follow',
        signal: this.transport.signal ? AbortSignal.any([timer.signal, this.transport.signal]) : timer.signal,
      });
      this.#timers.set(res, timer);
      return res;
    } catch (err) {
      timer.clear();
      throw toTransient(err) ?? err;
    }
  }

  /**
   * The response body as chunks, cut after `timeoutMs` without data. A connection that dies mid-body
   * becomes a TransientError naming how far it got, so the caller's retry starts over.
   */
  async *chunks(res: Response, what: string): AsyncIterable<Uint8Array> {
    const timer = this.#timers.get(res);
    if (res.body === null) return;
    let received = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        timer?.touch();
        received += chunk.byteLength;
        yield chunk;
      }
    } catch (err) {
      if (err instanceof OciError) throw err;
      if (timer?.signal.aborted === true) {
        throw new TransientError('Timeout', `${what}: expected data within ${this.transport.timeoutMs} ms, got none after ${received} bytes`, undefined, { cause: err });
      }
      const declared = res.headers.get('content-length');
      throw new TransientError('SizeMismatch', `${what}: expected ${declared ?? 'the whole'} bytes, got ${received} before the connection failed`, undefined, { cause: err });
    } finally {
      timer?.clear();
    }
  }

  async #authorization(scopes: readonly string[]): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'bearer') {
      const token = this.#tokens.get(scopes.join(' '));
      return token !== undefined ? `Bearer ${token}` : undefined;
    }
    const cred = await this.#credential();
    if (cred === undefined || !('username' in cred)) return undefined;
    return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
  }

  /** This host's credentials, if the source has any. */
  async #credential(): Promise<Credential | undefined> {
    const found = await this.#credentials?.(this.host);
    return found === undefined || 'missing' in found ? undefined : found;
  }

  /** What a refused request was sent with, for its message: where the credentials came from, or why there were none. */
  async #credentialsUsed(): Promise<string> {
    const found = await this.#credentials?.(this.host);
    if (found === undefined) return 'anonymous access';
    if ('missing' in found) return `anonymous access (${found.missing})`;
    return `the credentials of ${found.from ?? 'the configuration'}`;
  }

  /** A token request's signal: its timeout, and the caller's abort when there is one. */
  #tokenDeadline(): AbortSignal {
    const timeout = AbortSignal.timeout(this.transport.timeoutMs);
    return this.transport.signal ? AbortSignal.any([timeout, this.transport.signal]) : timeout;
  }

  async #fetchToken(challenge: Challenge, scopes: readonly string[]): Promise<void> {
    const realm = challenge.params['realm'];
    if (realm === undefined) throw new OciError('Unauthorized', `${this.host}: expected a realm in the Bearer challenge, got none`);
    const url = new URL(realm);
    if (url.protocol !== 'https:' && !LOOPBACK.test(url.host) && !this.baseUrl.startsWith('http:')) {
      throw new OciError('InsecureRegistry', `${this.host}: expected an https token realm, got ${realm}; refusing to send credentials in clear`);
    }
    if (challenge.params['service'] !== undefined) url.searchParams.set('service', challenge.params['service']);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const cred = await this.#credential();
    const headers: Record<string, string> = { 'user-agent': this.#userAgent };
    if (cred !== undefined && 'username' in cred) headers['authorization'] = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    let res: Response;
    if (cred !== undefined && 'identityToken' in cred) {
      // OAuth2 refresh-token grant, as docker does with an identity token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, service: challenge.params['service'] ?? '', scope: scopes.join(' '), client_id: 'flotilla' });
      res = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: form, signal: this.#tokenDeadline() }).catch((e: unknown) => {
        throw toTransient(e) ?? e;
      });
    } else {
      res = await fetch(url, { headers, signal: this.#tokenDeadline() }).catch((e: unknown) => {
        throw toTransient(e) ?? e;
      });
    }
    if (res.status >= 500 || res.status === 429) throw new TransientError('RegistryUnavailable', `token service ${url.origin}: expected a token, got HTTP ${res.status}`);
    if (res.status !== 200) throw new OciError('Unauthorized', `token service ${url.origin}: expected a token for ${scopes.join(' ') || 'the registry'} with ${await this.#credentialsUsed()}, got HTTP ${res.status}; check the credentials`);
    const body = (await res.json()) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (token === undefined) throw new OciError('Unauthorized', `token service ${url.origin}: expected {token} in the response, got none`);
    this.#tokens.set(scopes.join(' '), token);
  }
}

export { repositoryScope };

const UPLOAD_SLICE = 256 * 1024;

/**
 * Request bodies as streams that touch the stall timer as the server takes them, so a large upload
 * on a slow link is limited by silence, not by its total duration. Small bodies go as they are
 * (with a Content-Length).
 */
function uploadBody(body: Uint8Array | ReadableStream<Uint8Array> | undefined, timer: StallTimer): Uint8Array | ReadableStream<Uint8Array> | undefined {
  if (body === undefined || (body instanceof Uint8Array && body.byteLength <= UPLOAD_SLICE)) return body;
  if (body instanceof Uint8Array) {
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        timer.touch();
        if (offset >= body.byteLength) {
          controller.close();
          return;
        }
        controller.enqueue(body.subarray(offset, offset + UPLOAD_SLICE));
        offset += UPLOAD_SLICE;
      },
    });
  }
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        timer.touch();
        controller.enqueue(chunk);
      },
    }),
  );
}
