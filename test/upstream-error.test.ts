import { RequestError, TimeoutError } from 'got';
import { describe, expect, it } from 'vitest';
import {
  AttemptFailure,
  connectionCode,
  deadlinePassed,
  statusError,
  timedOut,
  toUpstreamError,
  UpstreamError,
  type UpstreamErrorCode,
} from '../sources/kit/upstream-error.js';

/** What the breaker, the batcher and a client read of an error. */
const facts = (error: UpstreamError) => ({
  code: error.code,
  hostFailure: error.hostFailure,
  origin: error.origin,
  retryAfterSeconds: error.retryAfterSeconds,
  message: error.message,
});

/** got's errors as an attempt throws them: a timeout, and a failed connection with Node's code. */
const gotTimeout = () =>
  new TimeoutError(Object.assign(new Error('Timeout awaiting request for 5ms'), { event: 'request', code: 'ETIMEDOUT' as const }), {} as never, {} as never);
const gotConnectionError = (code: string) =>
  new RequestError(`connect ${code} 127.0.0.1:9`, Object.assign(new Error(`connect ${code}`), { code }), {} as never);

describe('upstream errors', () => {
  it('count against the host by default only for timeouts, unavailable hosts and rate limits, each with the origin its code implies', () => {
    const defaults = (code: UpstreamErrorCode) => {
      const error = new UpstreamError(code, 'what happened');
      return [error.hostFailure, error.origin, error.retryAfterSeconds];
    };
    expect(defaults('NOT_FOUND')).toEqual([false, 'answer', null]);
    expect(defaults('UPSTREAM_TIMEOUT')).toEqual([true, 'time', null]);
    expect(defaults('UPSTREAM_UNAVAILABLE')).toEqual([true, 'host', null]);
    expect(defaults('UPSTREAM_BAD_RESPONSE')).toEqual([false, 'answer', null]);
    expect(defaults('RATE_LIMITED')).toEqual([true, 'caller', null]);
    expect(defaults('QUOTA_EXHAUSTED')).toEqual([false, 'caller', null]);
  });

  it('keep what their maker says over the defaults, and the cause they were made from', () => {
    const cause = new Error('socket hang up');
    const error = new UpstreamError('UPSTREAM_UNAVAILABLE', 'cancelled', { hostFailure: false, origin: 'caller', retryAfterSeconds: 7, cause });
    expect(facts(error)).toEqual({ code: 'UPSTREAM_UNAVAILABLE', hostFailure: false, origin: 'caller', retryAfterSeconds: 7, message: 'cancelled' });
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UpstreamError');
  });

  it('read a status the way the API contract does: 429 rate limited, 408 a timeout in the answer, 5xx unavailable, any other a bad response', () => {
    expect(facts(statusError(429, 'geocoding', { retryAfterSeconds: 30 }))).toEqual({
      code: 'RATE_LIMITED',
      hostFailure: true,
      origin: 'caller',
      retryAfterSeconds: 30,
      message: 'geocoding is rate limiting us (HTTP 429)',
    });
    // A 408 is an answer: the batcher splits the call rather than asking each key alone.
    expect(facts(statusError(408, 'forecast'))).toEqual({
      code: 'UPSTREAM_TIMEOUT',
      hostFailure: true,
      origin: 'answer',
      retryAfterSeconds: null,
      message: 'forecast timed out (HTTP 408)',
    });
    expect(statusError(408, 'forecast', { origin: 'time' }).origin).toBe('time');
    expect(facts(statusError(500, 'forecast'))).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      hostFailure: true,
      origin: 'host',
      retryAfterSeconds: null,
      message: 'forecast failed (HTTP 500)',
    });
    expect(statusError(503, 'forecast').code).toBe('UPSTREAM_UNAVAILABLE');
    expect(facts(statusError(499, 'air quality'))).toEqual({
      code: 'UPSTREAM_BAD_RESPONSE',
      hostFailure: false,
      origin: 'answer',
      retryAfterSeconds: null,
      message: 'air quality answered HTTP 499',
    });
    expect(statusError(404, 'countries').code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(statusError(302, 'countries').code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('classify what an attempt threw: a timeout, a connection that failed (with its code), anything else; an UpstreamError is kept as it is', () => {
    const timeout = toUpstreamError(gotTimeout(), 'geocoding');
    expect(facts(timeout)).toEqual({
      code: 'UPSTREAM_TIMEOUT',
      hostFailure: true,
      origin: 'time',
      retryAfterSeconds: null,
      message: 'geocoding did not answer in time',
    });
    expect(timeout.cause).toBeInstanceOf(TimeoutError);
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN']) {
      const refused = toUpstreamError(gotConnectionError(code), 'forecast');
      expect(facts(refused)).toEqual({
        code: 'UPSTREAM_UNAVAILABLE',
        hostFailure: true,
        origin: 'host',
        retryAfterSeconds: null,
        message: `forecast is unreachable (${code})`,
      });
      expect(refused.cause).toBeInstanceOf(RequestError);
    }
    // A request error that is not about the connection says only that the call failed.
    expect(toUpstreamError(gotConnectionError('ERR_SOMETHING_ELSE'), 'forecast').message).toBe('forecast failed');
    const other = new TypeError('not a function');
    const failed = toUpstreamError(other, 'countries');
    expect(facts(failed)).toEqual({ code: 'UPSTREAM_UNAVAILABLE', hostFailure: true, origin: 'host', retryAfterSeconds: null, message: 'countries failed' });
    expect(failed.cause).toBe(other);
    // A plain error with a connection code did not come from the HTTP client: it is not read as one.
    expect(toUpstreamError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'countries').message).toBe('countries failed');
    const known = new UpstreamError('QUOTA_EXHAUSTED', 'spent');
    expect(toUpstreamError(known, 'countries')).toBe(known);
  });

  it('read an attempt that failed in the background thread as they read got’s own error: its timeout, its connection code', () => {
    const timeout = new AttemptFailure('timeout', 'ETIMEDOUT', 'Timeout awaiting request for 5ms');
    const refused = new AttemptFailure('failed', 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9');
    const otherCode = new AttemptFailure('failed', 'ERR_ABORTED', 'the attempt was aborted');
    const tooLarge = new AttemptFailure('too-large', undefined, 'the body went over 10 bytes');
    expect([timeout, refused, otherCode, tooLarge].map((error) => [error.name, timedOut(error), connectionCode(error)])).toEqual([
      ['AttemptFailure', true, undefined],
      ['AttemptFailure', false, 'ECONNREFUSED'],
      ['AttemptFailure', false, undefined],
      ['AttemptFailure', false, undefined],
    ]);
    // got's own errors the same way; anything else is neither.
    expect([gotTimeout(), gotConnectionError('ECONNRESET'), new Error('x')].map((error) => [timedOut(error), connectionCode(error)])).toEqual([
      [true, undefined],
      [false, 'ECONNRESET'],
      [false, undefined],
    ]);
    expect(facts(toUpstreamError(timeout, 'The API'))).toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: 'The API did not answer in time' });
    expect(facts(toUpstreamError(refused, 'The API'))).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: 'The API is unreachable (ECONNREFUSED)' });
    expect(facts(toUpstreamError(otherCode, 'The API'))).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: 'The API failed' });
  });

  it('say a passed deadline is the caller’s: not the host’s fault, and named after the setting', () => {
    expect(facts(deadlinePassed('geocoding'))).toEqual({
      code: 'UPSTREAM_TIMEOUT',
      hostFailure: false,
      origin: 'caller',
      retryAfterSeconds: null,
      message: "geocoding did not answer before the request's deadline (REQUEST_DEADLINE_MS)",
    });
  });
});
