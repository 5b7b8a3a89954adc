import { FlotillaError } from '../api/errors.ts';

/**
 * Why a call to the API server failed, from the HTTP status and the `Status.reason` it returned.
 * Callers branch on these: `Conflict` means re-read and retry, `Gone` means relist, `NotFound` on a
 * delete means done.
 */
export type KubeApiErrorCode =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'TooManyRequests'
  | 'ServerError'
  | 'Unreachable';

/** A failed API server call; `status` is the HTTP status (0 when no response arrived). */
export class KubeApiError extends FlotillaError<KubeApiErrorCode> {
  readonly status: number;

  constructor(code: KubeApiErrorCode, status: number, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.status = status;
  }
}

/** The error code for an HTTP status and the API server's `Status.reason` (reason wins when it is specific). */
export function codeForStatus(status: number, reason?: string): KubeApiErrorCode {
  if (reason === 'AlreadyExists') return 'AlreadyExists';
  if (reason === 'Expired' || reason === 'Gone') return 'Gone';
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    default:
      return status >= 500 ? 'ServerError' : 'BadRequest';
  }
}
