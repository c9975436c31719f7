import { RequestError, TimeoutError } from 'got';

/**
 * How an upstream call failed: the API contract's UpstreamErrorCode, so that no table
 * translates between the kit and the schema. (WeatherErrorCode reuses all but NOT_FOUND.)
 */
export type UpstreamErrorCode = 'NOT_FOUND' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_BAD_RESPONSE' | 'RATE_LIMITED' | 'QUOTA_EXHAUSTED';

/** What failed a whole call; decides whether splitting the call can help (see Batcher). */
export type FailureOrigin =
  /** The upstream answered, but refused the call or garbled it (a 4xx, a body of the wrong shape): maybe one item's fault. */
  | 'answer'
  /** No complete answer in time. */
  | 'time'
  /** The host is failing (a 5xx, a connection refused or reset): any call would fail now. */
  | 'host'
  /** The call was refused for the caller's sake (a 429, the quota, an open circuit, a deadline, nobody waiting). */
  | 'caller';

export interface UpstreamErrorOptions {
  /** Whether the failure says something about the host's health (the breaker counts it). */
  hostFailure?: boolean;
  /** Seconds until asking again can succeed, when known (a quota window, a Retry-After, an open circuit). */
  retryAfterSeconds?: number | null;
  origin?: FailureOrigin;
  cause?: unknown;
}

/**
 * One upstream call failed, retries included. The message is safe to show a client: it
 * names what happened, never a URL, a header or a body.
 */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly hostFailure: boolean;
  readonly retryAfterSeconds: number | null;
  readonly origin: FailureOrigin;

  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    options: UpstreamErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    // A host that only says 429 is as unusable as one that is down, and calling it on only
    // prolongs the storm. A bad response says so itself where it is about the whole body.
    this.hostFailure = options.hostFailure ?? (code === 'UPSTREAM_TIMEOUT' || code === 'UPSTREAM_UNAVAILABLE' || code === 'RATE_LIMITED');
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
    this.origin = options.origin ?? DEFAULT_ORIGINS[code];
  }
}

const DEFAULT_ORIGINS: Record<UpstreamErrorCode, FailureOrigin> = {
  NOT_FOUND: 'answer',
  UPSTREAM_TIMEOUT: 'time',
  UPSTREAM_UNAVAILABLE: 'host',
  UPSTREAM_BAD_RESPONSE: 'answer',
  RATE_LIMITED: 'caller',
  QUOTA_EXHAUSTED: 'caller',
};

/** Node's codes for a connection that failed or broke: the host (or the way to it) is down. Also the codes got retries. */
export const CONNECTION_ERROR_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRINUSE',
] as const;
const CONNECTION_CODES = new Set<string>(CONNECTION_ERROR_CODES);

/**
 * Classifies a status that is not 2xx the way the API contract reads it: 429 is
 * RATE_LIMITED, 408 a timeout, 5xx UNAVAILABLE, any other a response that is not what the
 * API documents.
 */
export function statusError(status: number, what: string, options: UpstreamErrorOptions = {}): UpstreamError {
  if (status === 429) return new UpstreamError('RATE_LIMITED', `${what} is rate limiting us (HTTP 429)`, options);
  if (status === 408) return new UpstreamError('UPSTREAM_TIMEOUT', `${what} timed out (HTTP 408)`, { origin: 'answer', ...options });
  if (status >= 500) return new UpstreamError('UPSTREAM_UNAVAILABLE', `${what} failed (HTTP ${status})`, options);
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', `${what} answered HTTP ${status}`, options);
}

/** Why an attempt got no answer, where got's own error is not at hand. */
export type AttemptFailureKind = 'timeout' | 'too-large' | 'failed';

/**
 * An attempt that got no answer, as much of got's error as crosses from the background thread
 * (see background-thread.ts): whether it timed out, and Node's code for a failed connection.
 */
export class AttemptFailure extends Error {
  override name = 'AttemptFailure';
  constructor(
    readonly kind: AttemptFailureKind,
    readonly code: string | undefined,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** Whether an attempt's error is a timeout of the client's. */
export const timedOut = (error: unknown): boolean => error instanceof TimeoutError || (error instanceof AttemptFailure && error.kind === 'timeout');

/** Node's code for the connection an attempt's error says failed or broke (ECONNREFUSED…), else undefined. */
export function connectionCode(error: unknown): string | undefined {
  const code = error instanceof RequestError || error instanceof AttemptFailure ? error.code : undefined;
  return code !== undefined && CONNECTION_CODES.has(code) ? code : undefined;
}

/** Classifies whatever an attempt threw before an answer arrived: a timeout, or a connection that failed. */
export function toUpstreamError(error: unknown, what: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (timedOut(error)) {
    return new UpstreamError('UPSTREAM_TIMEOUT', `${what} did not answer in time`, { cause: error });
  }
  const code = connectionCode(error);
  if (code) {
    return new UpstreamError('UPSTREAM_UNAVAILABLE', `${what} is unreachable (${code})`, { cause: error });
  }
  return new UpstreamError('UPSTREAM_UNAVAILABLE', `${what} failed`, { cause: error });
}

/** A failure for a caller whose request deadline passed before the upstream answered. */
export function deadlinePassed(what: string): UpstreamError {
  return new UpstreamError('UPSTREAM_TIMEOUT', `${what} did not answer before the request's deadline (REQUEST_DEADLINE_MS)`, {
    hostFailure: false,
    origin: 'caller',
  });
}
