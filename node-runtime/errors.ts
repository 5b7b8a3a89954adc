import { FlotillaError } from '../api/errors.ts';

/**
 * Every way the node runtime fails on purpose, one code per cause. The code is the metric label
 * (`outcome`), the log field and the CLI exit code; `HTTP_STATUS` says what a caller sees.
 */
export type NodeRuntimeCode =
  // resolve
  | 'RouteNotFound'
  | 'FunctionNotFound'
  // pull / verify / cache
  | 'ModulePullFailed'
  | 'SignatureRejected'
  | 'CacheCorrupted'
  // compile / link
  | 'InvalidModule'
  | 'UnsupportedModule'
  | 'MemoryLimitBelowInitial'
  // configure (host capabilities bound to the node)
  | 'HostPathNotAllowed'
  // route authentication (auth/): 401 with a challenge, 403 for a missing scope, 503 when the node cannot enforce it
  | 'Unauthenticated'
  | 'InsufficientScope'
  | 'AuthUnavailable'
  // route policies (http/route-policy*.ts)
  | 'RateLimited'
  | 'CircuitOpen'
  // forwarding (http/forward.ts)
  | 'ForwardFailed'
  | 'NotPlacedHere'
  // node identity (peer/): a forwarded request without a peer credential that verifies
  | 'PeerUnauthenticated'
  // invoke
  | 'Overloaded'
  | 'RequestTooLarge'
  | 'Timeout'
  | 'Trap'
  | 'StackOverflow'
  | 'MemoryLimitExceeded'
  | 'FunctionExited'
  | 'InvalidResponse'
  | 'ResponseTooLarge'
  | 'WorkerCrashed'
  | 'ShuttingDown'
  // configuration
  | 'InvalidManifest'
  | 'InvalidArgument';

export class NodeRuntimeError extends FlotillaError<NodeRuntimeCode> {}

/** The HTTP status a caller gets for each failure. */
export const HTTP_STATUS: Readonly<Record<NodeRuntimeCode, number>> = {
  RouteNotFound: 404,
  FunctionNotFound: 404,
  ModulePullFailed: 502,
  SignatureRejected: 502,
  CacheCorrupted: 502,
  InvalidModule: 502,
  UnsupportedModule: 502,
  MemoryLimitBelowInitial: 502,
  HostPathNotAllowed: 500,
  Unauthenticated: 401,
  InsufficientScope: 403,
  AuthUnavailable: 503,
  RateLimited: 429,
  CircuitOpen: 503,
  ForwardFailed: 502,
  NotPlacedHere: 503,
  PeerUnauthenticated: 401,
  Overloaded: 503,
  RequestTooLarge: 413,
  Timeout: 504,
  Trap: 500,
  StackOverflow: 500,
  MemoryLimitExceeded: 500,
  FunctionExited: 500,
  InvalidResponse: 502,
  ResponseTooLarge: 502,
  WorkerCrashed: 500,
  ShuttingDown: 503,
  InvalidManifest: 500,
  InvalidArgument: 400,
};

/** A plain, structured-cloneable form of an error, to cross the worker boundary and keep its code. */
export interface SerializedError {
  readonly code: NodeRuntimeCode;
  readonly message: string;
}

export function toSerialized(err: NodeRuntimeError): SerializedError {
  return { code: err.code, message: err.message };
}

export function fromSerialized(e: SerializedError): NodeRuntimeError {
  return new NodeRuntimeError(e.code, e.message);
}
