import { HTTPError, ParseError, RequestError, TimeoutError } from 'got';

/** How an upstream call failed, in the words the API reports it. */
export type UpstreamErrorCode = 'TIMEOUT' | 'UNAVAILABLE' | 'BAD_RESPONSE' | 'RATE_LIMITED';

export interface UpstreamErrorOptions {
  /** Whether the failure says something about the host's health (the breaker counts it). */
  hostFailure?: boolean;
  cause?: unknown;
}

/**
 * One upstream call failed, retries included. The message is safe to show a client: it
 * names what happened, never a URL, a header or a body.
 */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly hostFailure: boolean;

  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    options: UpstreamErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    // A host that only says 429 is as unusable as one that is down, and calling it on only
    // prolongs the storm. A bad response says so itself where it is about the whole body.
    this.hostFailure = options.hostFailure ?? (code === 'TIMEOUT' || code === 'UNAVAILABLE' || code === 'RATE_LIMITED');
  }
}

/** Node's codes for a connection that failed or broke: the host (or the way to it) is down. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRINUSE',
]);

/**
 * Classifies whatever an upstream call threw. A status is read the way the API contract
 * reads it: 429 is RATE_LIMITED, 408 TIMEOUT, 5xx UNAVAILABLE, any other non-2xx a response
 * that is not what the API documents.
 */
export function toUpstreamError(error: unknown, what: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof TimeoutError) {
    return new UpstreamError('TIMEOUT', `${what} did not answer in time`, { cause: error });
  }
  if (error instanceof HTTPError) {
    const status = error.response.statusCode;
    if (status === 429) {
      return new UpstreamError('RATE_LIMITED', `${what} is rate limiting us (HTTP 429)`, { cause: error });
    }
    if (status === 408) return new UpstreamError('TIMEOUT', `${what} timed out (HTTP 408)`, { cause: error });
    if (status >= 500) return new UpstreamError('UNAVAILABLE', `${what} failed (HTTP ${status})`, { cause: error });
    return new UpstreamError('BAD_RESPONSE', `${what} answered HTTP ${status}`, { cause: error });
  }
  if (error instanceof ParseError) {
    return new UpstreamError('BAD_RESPONSE', `${what} answered with a body that is not JSON`, { cause: error });
  }
  if (error instanceof RequestError && error.code && CONNECTION_CODES.has(error.code)) {
    return new UpstreamError('UNAVAILABLE', `${what} is unreachable (${error.code})`, { cause: error });
  }
  return new UpstreamError('UNAVAILABLE', `${what} failed`, { cause: error });
}
