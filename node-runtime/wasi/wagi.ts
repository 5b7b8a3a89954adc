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
 * front that sets the dashed one (nginx drops such names by default for the same reason).
 */
function passedToScript(name: string): boolean {
  return !WITHHELD_HEADERS.has(name) && !name.includes('_');
}

/** The CGI environment of a request as "NAME=value" entries, plus the function's granted env (request variables win). */
export function cgiEnvironment(req: RequestMeta, ctx: InvocationContext, bodyLength: number, granted: readonly { name: string; value: string }[]): string[] {
  const prefix = req.matchedRoute === '/' ? '' : req.matchedRoute.replace(/\/$/, '');
  const pathInfo = req.path.startsWith(prefix) ? req.path.slice(prefix.length) : req.path;
  const hostHeader = req.headers.host ?? req.host;
  const cgi: Record<string, string> = {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'flotilla',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: req.host,
    SERVER_PORT: String(req.serverPort),
    REQUEST_METHOD: req.method,
    SCRIPT_NAME: prefix,
    PATH_INFO: safeDecode(pathInfo),
    X_RAW_PATH_INFO: pathInfo,
    PATH_TRANSLATED: safeDecode(pathInfo),
    QUERY_STRING: req.query,
    REQUEST_URI: req.query ? `${req.path}?${req.query}` : req.path,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    CONTENT_LENGTH: String(bodyLength),
    REMOTE_ADDR: req.remoteAddr,
    REMOTE_HOST: req.remoteAddr,
    AUTH_TYPE: '',
    REMOTE_USER: '',
    X_FULL_URL: `${req.scheme}://${hostHeader}${req.path}${req.query ? `?${req.query}` : ''}`,
    X_MATCHED_ROUTE: req.matchedRoute,
    X_RAW_PATH: req.path,
    FLOTILLA_INVOCATION_ID: ctx.invocationId,
    FLOTILLA_DEADLINE_MS: String(ctx.deadlineMs),
    TRACEPARENT: ctx.traceparent,
  };
  // Precedence: CGI variables, then request headers, then the granted env (a grant cannot spoof
  // the request). Built in one pass without a Map: this runs on the main thread per request.
  const out: string[] = [];
  const taken = new Set<string>();
  const add = (name: string, value: string) => {
    if (taken.has(name)) return;
    taken.add(name);
    out.push(`${name}=${value.includes('\0') ? value.replaceAll('\0', '') : value}`);
  };
  for (const name in cgi) add(name, cgi[name]!);
  for (const name in req.headers) {
    if (!passedToScript(name)) continue;
    add(`HTTP_${name.toUpperCase().replaceAll('-', '_')}`, req.headers[name]!);
  }
  for (const { name, value } of granted) add(name, value);
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
