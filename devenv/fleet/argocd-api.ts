/**
 * The few Argo CD API calls the local fleet needs: a session token, Applications with their sync
 * and health, a refresh on demand (the fallback to the git server's push webhook), and the resource tree.
 */

export interface ArgoApp {
  readonly metadata: { readonly name: string };
  readonly spec?: { readonly destination?: { readonly name?: string; readonly server?: string } };
  readonly status?: {
    readonly sync?: { readonly status?: string; readonly revision?: string };
    readonly health?: { readonly status?: string; readonly message?: string };
    readonly operationState?: {
      readonly phase?: string;
      readonly message?: string;
      /** The commit the operation syncs (set when it starts) and the one it synced (set as it runs). */
      readonly operation?: { readonly sync?: { readonly revision?: string } };
      readonly syncResult?: { readonly revision?: string };
    };
    readonly conditions?: readonly { readonly type: string; readonly message: string }[];
  };
}

export interface ResourceNode {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly health?: { readonly status?: string; readonly message?: string };
}

export class ArgoCdApi {
  readonly url: string;
  readonly #credentials: { username: string; password: string } | undefined;
  #token: string | undefined;

  /** With a username and password it logs in for a session token; with `{ token }` (an API token, as `argocd account generate-token` prints) it uses that. */
  constructor(url: string, credentials: { username: string; password: string } | { token: string }) {
    this.url = url.replace(/\/+$/, '');
    if ('token' in credentials) this.#token = credentials.token;
    else this.#credentials = credentials;
  }

  async #call<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    this.#token ??= await this.#login();
    const res = await fetch(`${this.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Argo CD ${init.method ?? 'GET'} ${path}: expected 2xx, got ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  async #login(): Promise<string> {
    if (this.#credentials === undefined) throw new Error(`Argo CD at ${this.url}: no token and no username/password to log in with`);
    const res = await fetch(`${this.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(this.#credentials),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new Error(`Argo CD login at ${this.url}: expected 200, got ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return ((await res.json()) as { token: string }).token;
  }

  async applications(): Promise<ArgoApp[]> {
    return (await this.#call<{ items?: ArgoApp[] | null }>('/api/v1/applications')).items ?? [];
  }

  /** Asks Argo CD to compare the Application with Git now (a hard refresh also drops its manifest cache). */
  async refresh(name: string, hard = false): Promise<ArgoApp> {
    return this.#call<ArgoApp>(`/api/v1/applications/${encodeURIComponent(name)}?refresh=${hard ? 'hard' : 'normal'}`);
  }

  async resourceTree(name: string): Promise<ResourceNode[]> {
    return (await this.#call<{ nodes?: ResourceNode[] | null }>(`/api/v1/applications/${encodeURIComponent(name)}/resource-tree`)).nodes ?? [];
  }
}
