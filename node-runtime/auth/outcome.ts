/**
 * What authenticating a request gives the HTTP adapter: the caller the function may see, or the
 * refusal with its RFC 6750 challenge. Shared by the JWT and API key authenticators. Pure data.
 */
import type { NodeRuntimeError } from '../errors.ts';
import type { AuthenticatedCaller } from '../wasi/wagi.ts';

export type AuthOutcome =
  | {
      readonly ok: true;
      readonly caller: AuthenticatedCaller;
      /** Request headers the function must not see (the API key header unless the route passes it). */
      readonly withhold: readonly string[];
    }
  | {
      readonly ok: false;
      readonly error: NodeRuntimeError;
      /** WWW-Authenticate of a 401/403 (absent on a 503: the node, not the client, is at fault). */
      readonly challenge?: string;
    };

/** An authenticator of one route's requests. */
export interface Authenticator {
  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): Promise<AuthOutcome>;
}

/** A quoted-string for an auth-param (RFC 9110 §5.6.4): backslash and quote escaped, controls dropped. */
export function quoted(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** One challenge: `scheme realm="..."[, k="v"]...`. */
export function challenge(scheme: string, params: Readonly<Record<string, string>>): string {
  return `${scheme} ${Object.entries(params).map(([k, v]) => `${k}=${quoted(v)}`).join(', ')}`;
}

/** The CGI value of a claim: strings as they are, everything else as JSON; undefined when absent. */
export function claimValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
