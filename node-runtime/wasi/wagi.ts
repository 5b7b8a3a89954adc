/**
 * WAGI semantics (CGI over WASI): the request becomes CGI variables in the module's environment
 * and the body its stdin; the module answers on stdout with CGI headers (`Content-Type`, `Status`,
 * `Location`, others), a blank line and the body. Pure functions, no I/O.
 */
import { NodeRuntimeError } from '../errors.ts';

/** What the HTTP adapter (or another trigger) knows about a request. */
export interface RequestMeta {
  readonly method: string;
  /** Path as received, percent-encoded, without the query. */
  readonly path: string;
  readonly query: string;
  /** Header names lowercased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly host: string;
  readonly scheme: 'http' | 'https';
  readonly serverPort: number;
  readonly remoteAddr: string;
  /** The route prefix that matched, e.g. "/echo". */
  readonly matchedRoute: string;
  /** Who the route's authentication let in (auth/); absent on routes without auth. */
  readonly caller?: AuthenticatedCaller;
}

/** The caller a route's authentication admitted, as the function sees it. */
export interface AuthenticatedCaller {
  /** AUTH_TYPE: Bearer or ApiKey. */
  readonly type: string;
  /** REMOTE_USER: the token's sub, or the client an API key belongs to. */
  readonly user: string;
  /** The route's AUTH_* claim variables, and HTTP_AUTHORIZATION when the route passes the credential; they win over granted env. */
  readonly env: readonly (readonly [string, string])[];
}

/** The invocation context every function sees. */
export interface InvocationContext {
  readonly invocationId: string;
  /** Deadline as milliseconds since the epoch. */
  readonly deadlineMs: number;
  readonly traceparent: string;
}

// RFC 3875 §4.1.18: credentials and hop-by-hop connection headers are not passed to the script.
// `proxy` would become HTTP_PROXY, which HTTP clients read as their proxy (httpoxy, CVE-2016-5385):
// withheld as Go's net/http/cgi and wasmtime/Spin WAGI do.
const WITHHELD_HEADERS = new Set(['authorization', 'proxy-authorization', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy']);

/**
 * True when a request header becomes an HTTP_* variable. A name with "_" is left out: X_Auth_User
 * and X-Auth-User would both be HTTP_X_AUTH_USER, and a client could then pose as the proxy in
 * front that sets the dashed one (nginx drops such names by default for the same reason). So is a
 * name that is not a lowercase RFC 9110 token: "kr= " would make `HTTP_KR= =...`, a second HTTP_KR
 * to a C library, and "X" beside "x" a second HTTP_X (found by fuzzing, wagi.fuzz.test.ts; node:http
 * never lets such names through, event triggers' headers come from brokers).
 */
function passedToScript(name: string): boolean {
  return !WITHHELD_HEADERS.has(name) && HEADER_NAME.test(name);
}

/** A lowercase RFC 9110 token without "_". */
const HEADER_NAME = /^[!#$%&'*+\-.^`|~0-9a-z]+$/;

/** A granted env list as entries, kept per list: grants change with the desired state, not per request. */
const grantedEntries = new WeakMap<readonly { name: string; value: string }[], readonly (readonly [string, string])[]>();

function entriesOf(granted: readonly { name: string; value: string }[]): readonly (readonly [string, string])[] {
  let entries = grantedEntries.get(granted);
  if (!entries) {
    const seen = new Set<string>(CGI_NAMES);
    entries = granted.filter((g) => !seen.has(g.name) && seen.add(g.name)).map((g) => [g.name, `${g.name}=${clean(g.value)}`] as const);
    grantedEntries.set(granted, entries);
  }
  return entries;
}

/** The route part of the request's script name ("" for "/"), per matched route. */
const scriptNames = new Map<string, string>();

function scriptName(matchedRoute: string): string {
  let name = scriptNames.get(matchedRoute);
  if (name === undefined) {
    name = matchedRoute === '/' ? '' : matchedRoute.replace(/\/$/, '');
    // Route prefixes come from the desired state: few, but bounded anyway.
    if (scriptNames.size > 4096) scriptNames.clear();
    scriptNames.set(matchedRoute, name);
  }
  return name;
}

/** True when the request set the variable `name` through a header (a grant of that name loses to it). */
function setByHeader(name: string, headers: Readonly<Record<string, string>>): boolean {
  if (!name.startsWith('HTTP_')) return false;
  const header = name.slice(5).toLowerCase().replaceAll('_', '-');
  return headers[header] !== undefined && passedToScript(header);
}

/** The variables cgiEnvironment sets itself; a grant of one of these names is ignored. */
const CGI_NAMES = new Set([
  'GATEWAY_INTERFACE', 'SERVER_SOFTWARE', 'SERVER_PROTOCOL', 'SERVER_NAME', 'SERVER_PORT', 'REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO',
  'X_RAW_PATH_INFO', 'PATH_TRANSLATED', 'QUERY_STRING', 'REQUEST_URI', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'REMOTE_ADDR', 'REMOTE_HOST',
  'AUTH_TYPE', 'REMOTE_USER', 'X_FULL_URL', 'X_MATCHED_ROUTE', 'X_RAW_PATH', 'FLOTILLA_INVOCATION_ID', 'FLOTILLA_DEADLINE_MS', 'TRACEPARENT',
]);

function clean(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '') : value;
}

/** The CGI environment of a request as "NAME=value" entries, plus the function's granted env (request variables win). */
export function cgiEnvironment(req: RequestMeta, ctx: InvocationContext, bodyLength: number, granted: readonly { name: string; value: string }[]): string[] {
  const prefix = scriptName(req.matchedRoute);
  const pathInfo = req.path.startsWith(prefix) ? req.path.slice(prefix.length) : req.path;
  const decoded = safeDecode(pathInfo);
  const requestUri = req.query ? `${req.path}?${req.query}` : req.path;
  // Precedence: CGI variables, then request headers, then the granted env (a grant cannot spoof
  // the request). One array, no intermediate object: this runs per request. Header variables
  // cannot collide with each other (names with "_" are left out, so "-" -> "_" is one to one) nor
  // with the CGI ones (none starts with HTTP_).
  const out = [
    'GATEWAY_INTERFACE=CGI/1.1',
    'SERVER_SOFTWARE=flotilla',
    'SERVER_PROTOCOL=HTTP/1.1',
    `SERVER_NAME=${clean(req.host)}`,
    `SERVER_PORT=${req.serverPort}`,
    `REQUEST_METHOD=${clean(req.method)}`,
    `SCRIPT_NAME=${clean(prefix)}`,
    `PATH_INFO=${clean(decoded)}`,
    `X_RAW_PATH_INFO=${clean(pathInfo)}`,
    `PATH_TRANSLATED=${clean(decoded)}`,
    `QUERY_STRING=${clean(req.query)}`,
    `REQUEST_URI=${clean(requestUri)}`,
    `CONTENT_TYPE=${clean(req.headers['content-type'] ?? '')}`,
    `CONTENT_LENGTH=${bodyLength}`,
    `REMOTE_ADDR=${clean(req.remoteAddr)}`,
    `REMOTE_HOST=${clean(req.remoteAddr)}`,
    `AUTH_TYPE=${clean(req.caller?.type ?? '')}`,
    `REMOTE_USER=${clean(req.caller?.user ?? '')}`,
    `X_FULL_URL=${clean(`${req.scheme}://${req.headers.host ?? req.host}${requestUri}`)}`,
    `X_MATCHED_ROUTE=${clean(req.matchedRoute)}`,
    `X_RAW_PATH=${clean(req.path)}`,
    `FLOTILLA_INVOCATION_ID=${ctx.invocationId}`,
    `FLOTILLA_DEADLINE_MS=${ctx.deadlineMs}`,
    `TRACEPARENT=${ctx.traceparent}`,
  ];
  for (const name in req.headers) {
    if (!passedToScript(name)) continue;
    out.push(`HTTP_${name.toUpperCase().replaceAll('-', '_')}=${clean(req.headers[name]!)}`);
  }
  const caller = req.caller?.env;
  if (caller) for (const [name, value] of caller) out.push(`${name}=${clean(value)}`);
  for (const [name, entry] of entriesOf(granted)) {
    if (!setByHeader(name, req.headers) && !caller?.some(([n]) => n === name)) out.push(entry);
  }
  return out;
}

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

export interface CgiResponse {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 field-value characters (what node:http accepts in a header value).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// Framing is ours to decide: a module cannot set these.
const FORBIDDEN_RESPONSE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te']);

function bad(functionName: string, what: string): NodeRuntimeError {
  return new NodeRuntimeError('InvalidResponse', `function ${functionName}: expected a CGI response on stdout (headers such as "Content-Type: text/plain", a blank line, the body), got ${what}`);
}

/** Finds the end of the header block: the first blank line ("\n\n" or "\r\n\r\n"). */
function headerEnd(out: Uint8Array): { headerLen: number; bodyStart: number } | undefined {
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0x0a) continue;
    if (out[i + 1] === 0x0a) return { headerLen: i, bodyStart: i + 2 };
    if (out[i + 1] === 0x0d && out[i + 2] === 0x0a) return { headerLen: i, bodyStart: i + 3 };
  }
  return undefined;
}

/** Parses a module's stdout as a CGI response (RFC 3875 §6). */
export function parseCgiResponse(functionName: string, out: Uint8Array): CgiResponse {
  const end = headerEnd(out);
  if (!end) {
    if (out.length === 0) throw bad(functionName, 'no output');
    throw bad(functionName, 'output without a blank line after the headers');
  }
  const text = new TextDecoder().decode(out.subarray(0, end.headerLen));
  const headers: [string, string][] = [];
  let status: number | undefined;
  let hasContentType = false;
  let location: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw bad(functionName, `the header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name)) throw bad(functionName, `the header name ${JSON.stringify(name.slice(0, 80))}`);
    if (!FIELD_VALUE.test(value)) throw bad(functionName, `control characters in the value of header ${name}`);
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const m = /^(\d{3})(\s.*)?$/.exec(value);
      const code = m ? Number(m[1]) : NaN;
      if (!(code >= 100 && code <= 599)) throw bad(functionName, `Status ${JSON.stringify(value)} (want e.g. "404 Not Found")`);
      status = code;
      continue;
    }
    if (FORBIDDEN_RESPONSE_HEADERS.has(lower)) continue;
    if (lower === 'content-type') hasContentType = true;
    if (lower === 'location') location = value;
    headers.push([name, value]);
  }
  if (!hasContentType && location === undefined && status === undefined) throw bad(functionName, 'headers without Content-Type, Location or Status');
  return { status: status ?? (location !== undefined ? 302 : 200), headers, body: out.subarray(end.bodyStart) };
}
