import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import type { BackgroundLane } from '../sources/kit/background-lane.js';
import { createUpstreamHttp, type GetJsonRequest, type SourceSpec, type UpstreamAttempt, type UpstreamHttp } from '../sources/kit/http.js';
import { createMemoryQuotaStore, createQuota } from '../sources/kit/quota.js';
import { UpstreamError } from '../sources/kit/upstream-error.js';
import { type UpstreamPolicyOverrides, upstreamPolicy } from '../sources/kit/upstream-policy.js';
import { TEST_POLICY } from './helpers/weather.js';

// The upstream kit's HTTP client against a local server that answers as each test scripts it:
// what a status, a Retry-After, a body and a request's own rules make of a call, counted in
// the requests the server saw.

interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Never answer. */
  hang?: boolean;
}

let servers: Server[] = [];
let clients: UpstreamHttp[] = [];
afterEach(async () => {
  for (const client of clients) client.close();
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
  clients = [];
});

/** A server answering `script` in turn (the last answer again once it runs out), and a source of the kit on it. */
async function upstream(script: Scripted[], policy: UpstreamPolicyOverrides = {}, headers?: Record<string, string>, spec: Partial<SourceSpec> = {}) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    const answer = script[Math.min(seen.length - 1, script.length - 1)]!;
    if (answer.hang) return;
    response.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body ?? '{"ok":true}');
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const attempts: UpstreamAttempt[] = [];
  const http = createUpstreamHttp({ onAttempt: (attempt) => attempts.push(attempt) });
  clients.push(http);
  const source = http.source({
    name: 'test',
    what: 'The test API',
    baseUrl,
    policy: upstreamPolicy(10_000, { ...TEST_POLICY, ...policy }),
    ...(headers && { headers }),
    ...spec,
  });
  const get = (request: Partial<GetJsonRequest<unknown>> = {}) => source.getJson({ url: new URL(`${baseUrl}/v1/things`), parse: (body) => body, ...request });
  const failure = async (request: Partial<GetJsonRequest<unknown>> = {}) => {
    const error = await get(request).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    return error as UpstreamError;
  };
  return { get, failure, seen, attempts, http, baseUrl, server };
}

describe('the upstream HTTP client', () => {
  it('sends the source’s headers with its own, and reads the JSON body', async () => {
    const api = await upstream([{ body: '{"answer":42}' }], {}, { 'x-api-key': 'secret' });
    expect(await api.get()).toEqual({ answer: 42 });
    expect(api.seen[0]).toMatchObject({ accept: 'application/json', 'user-agent': 'gatherql', 'x-api-key': 'secret' });
    expect(api.attempts.map((attempt) => attempt.outcome)).toEqual(['ok']);
  });

  it('does not wait for a 429 whose Retry-After, an HTTP date, is past maxRetryAfterMs; the caller hears when to come back', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
    const api = await upstream([{ status: 429, headers: { 'retry-after': inAnHour } }]);
    const error = await api.failure();
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(3_598);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(3_600);
    expect(api.seen).toHaveLength(1);
  });

  it('waits for a 429 whose Retry-After is within maxRetryAfterMs, and for one whose Retry-After it cannot read, then asks again', async () => {
    const soon = await upstream([{ status: 429, headers: { 'retry-after': '0' } }, { body: '{"n":1}' }]);
    expect(await soon.get()).toEqual({ n: 1 });
    expect(soon.seen).toHaveLength(2);
    const unreadable = await upstream([{ status: 429, headers: { 'retry-after': 'soon' } }]);
    const error = await unreadable.failure();
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterSeconds).toBeNull();
    // The first attempt and retryLimit (2) more.
    expect(unreadable.seen).toHaveLength(3);
  });

  it('retries what the request allows: all failures, none, or all but timeouts', async () => {
    const all = await upstream([{ status: 503 }]);
    expect((await all.failure()).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(all.seen).toHaveLength(3);
    const none = await upstream([{ status: 503 }]);
    await none.failure({ retry: 'none' });
    expect(none.seen).toHaveLength(1);
  });

  it('gives up on a timed-out attempt at once under `no-timeouts`, and tries it again under `all`', async () => {
    const noTimeouts = await upstream([{ hang: true }], { timeoutMs: 150 });
    expect((await noTimeouts.failure({ retry: 'no-timeouts' })).code).toBe('UPSTREAM_TIMEOUT');
    expect(noTimeouts.seen).toHaveLength(1);
    expect(noTimeouts.attempts.map((attempt) => attempt.outcome)).toEqual(['timeout']);
    const all = await upstream([{ hang: true }], { timeoutMs: 150 });
    expect((await all.failure()).code).toBe('UPSTREAM_TIMEOUT');
    expect(all.seen).toHaveLength(3);
  });

  it('answers a 404 with what the request says it stands for, and calls it a bad response otherwise', async () => {
    const none = await upstream([{ status: 404, body: '{"message":"not found"}' }]);
    expect(await none.get({ onNotFound: () => ({ results: [] }) })).toEqual({ results: [] });
    expect(none.attempts.map((attempt) => attempt.outcome)).toEqual(['ok']);
    const bad = await upstream([{ status: 404 }]);
    const error = await bad.failure();
    expect(error.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(bad.seen).toHaveLength(1);
  });

  it('lets the request read a refusal its API gives a meaning of its own, and never retries it', async () => {
    const refusal = new UpstreamError('QUOTA_EXHAUSTED', 'the key’s quota is frozen', { hostFailure: false });
    const statuses: number[] = [];
    const api = await upstream([{ status: 503, body: 'frozen' }]);
    const error = await api.failure({
      onRefusal: (status, body) => {
        statuses.push(status);
        return body === 'frozen' ? refusal : null;
      },
    });
    expect(error).toBe(refusal);
    expect(statuses).toEqual([503]);
    expect(api.seen).toHaveLength(1);
    // A refusal the request leaves to the kit is the kit's: a 503, retried.
    const left = await upstream([{ status: 503, body: 'busy' }]);
    expect((await left.failure({ onRefusal: () => null })).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(left.seen).toHaveLength(3);
  });

  it('calls a body that is not JSON, or not the documented shape, a bad response, and does not retry it', async () => {
    const garbled = await upstream([{ body: '<html>oops</html>' }]);
    const error = await garbled.failure();
    expect(error.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(error.message).toBe('The test API answered with a body that is not JSON');
    expect(error.hostFailure).toBe(true);
    expect(garbled.seen).toHaveLength(1);
    const shape = new UpstreamError('UPSTREAM_BAD_RESPONSE', 'no results field');
    const wrong = await upstream([{ body: '{}' }]);
    expect(
      await wrong.failure({
        parse: () => {
          throw shape;
        },
      }),
    ).toBe(shape);
    expect(wrong.attempts.map((attempt) => attempt.outcome)).toEqual(['error']);
    expect(wrong.seen).toHaveLength(1);
  });

  it('cuts off a body over maxResponseBytes, and reads one of exactly that size', async () => {
    const body = (bytes: number) => `"${'x'.repeat(bytes - 2)}"`;
    const over = await upstream([{ body: body(2_049) }], { maxResponseBytes: 2_048 });
    const error = await over.failure();
    expect(error.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(error.message).toBe('The test API answered with a body over 2048 bytes');
    expect(over.seen).toHaveLength(1);
    const exact = await upstream([{ body: body(2_048) }], { maxResponseBytes: 2_048 });
    expect(await exact.get()).toHaveLength(2_046);
  });

  it('counts a connection that fails against the host, names its code in the attempt, and tries it again', async () => {
    const api = await upstream([{}]);
    api.server.close();
    await once(api.server, 'close');
    const error = await api.failure();
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe('The test API is unreachable (ECONNREFUSED)');
    expect(error.hostFailure).toBe(true);
    expect(api.attempts.map((attempt) => [attempt.outcome, attempt.errorCode])).toEqual([
      ['error', 'ECONNREFUSED'],
      ['error', 'ECONNREFUSED'],
      ['error', 'ECONNREFUSED'],
    ]);
  });

  it('cancels an attempt its caller gave up on, not counting it against the host, and tries it no more', async () => {
    const api = await upstream([{ hang: true }]);
    const abort = new AbortController();
    const heard: UpstreamAttempt[] = [];
    const pending = api.failure({ context: { signal: abort.signal, onAttempt: (attempt) => heard.push(attempt) } });
    await expect.poll(() => api.seen.length).toBe(1);
    abort.abort();
    const error = await pending;
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.origin).toBe('caller');
    expect(error.hostFailure).toBe(false);
    expect(api.attempts.map((attempt) => attempt.outcome)).toEqual(['cancelled']);
    // The caller hears of its attempts as the observers do.
    expect(heard).toEqual(api.attempts);
    expect(api.seen).toHaveLength(1);
  });

  it('starts no attempt when too little of its caller’s deadline is left, and says the deadline passed', async () => {
    const api = await upstream([{}]);
    const error = await api.failure({ context: { deadline: performance.now() + 10 } });
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.origin).toBe('caller');
    expect(error.hostFailure).toBe(false);
    expect(error.message).toContain('REQUEST_DEADLINE_MS');
    expect(api.seen).toHaveLength(0);
  });

  it('pays each attempt from the quota by its weight, and sends none the quota refuses', async () => {
    // A clock of its own: on the wall clock the minute could turn between two calls.
    const quota = createQuota({ name: 'test', limits: { minute: 5 }, store: createMemoryQuotaStore(), now: () => 30_000 });
    const api = await upstream([{}], {}, undefined, { quota });
    await api.get({ weight: 3 });
    const error = await api.failure({ weight: 3 });
    expect(error.code).toBe('QUOTA_EXHAUSTED');
    expect(error.message).toBe("The test API was not called: the gateway's minute budget for test is spent");
    // Half a minute into the window.
    expect(error.retryAfterSeconds).toBe(30);
    expect(api.seen).toHaveLength(1);
    // Background work's share: half of the window, of which 3 are spent.
    const background = await api.failure({ weight: 1, context: { quotaShare: 0.5 } });
    expect(background.message).toBe("The test API was not called: background work's share of the gateway's minute budget for test is spent");
    expect(await api.get({ weight: 2 })).toEqual({ ok: true });
    expect(api.seen).toHaveLength(2);
  });

  it('closes the quota window a 429 names until it resets: no call goes out meanwhile', async () => {
    const quota = createQuota({ name: 'test', limits: { minute: 100 }, store: createMemoryQuotaStore(), now: () => 30_000 });
    const api = await upstream([{ status: 429, body: '{"reason":"Minutely API request limit exceeded."}' }], {}, undefined, {
      quota,
      limitedWindow: (body) => (body.includes('Minutely') ? 'minute' : null),
    });
    const limited = await api.failure();
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.message).toBe('The test API is rate limiting us for this minute (HTTP 429)');
    expect(limited.retryAfterSeconds).toBe(30);
    expect(api.seen).toHaveLength(1);
    expect((await api.failure()).code).toBe('QUOTA_EXHAUSTED');
    expect(api.seen).toHaveLength(1);
  });

  it('registers a source once, and shows each source’s circuit', async () => {
    const api = await upstream([{}]);
    expect(() => api.http.source({ name: 'test', what: 'again', baseUrl: api.baseUrl, policy: upstreamPolicy(1_000) })).toThrow(
      'upstream source test is registered twice',
    );
    expect(api.http.circuits()).toEqual({ test: 'closed' });
  });

  it('spends no quota on an attempt whose caller gave up while it waited for its turn', async () => {
    const quota = createQuota({ name: 'test', limits: { minute: 5 }, store: createMemoryQuotaStore(), now: () => 30_000 });
    const api = await upstream([{}], {}, undefined, { quota });
    let letThrough!: () => void;
    const turn = new Promise<void>((resolve) => (letThrough = resolve));
    const lane: BackgroundLane = async (attempt) => {
      await turn;
      return attempt();
    };
    const abort = new AbortController();
    const pending = api.failure({ context: { signal: abort.signal, lane } });
    abort.abort();
    letThrough();
    expect((await pending).origin).toBe('caller');
    expect(api.seen).toHaveLength(0);
    expect(api.attempts).toEqual([]);
    // All 5 units are still there.
    expect((await quota.take(5)).granted).toBe(true);
  });

  it('retries each status that may pass (408, 429, every 5xx) and none of the others', async () => {
    for (const [status, attempts] of [
      [408, 3],
      [429, 3],
      [500, 3],
      [599, 3],
      [400, 1],
      [499, 1],
    ] as const) {
      const api = await upstream([{ status }]);
      await api.failure();
      expect([status, api.seen.length]).toEqual([status, attempts]);
    }
  });

  it('reads only a 2xx as an answer: a 300 is a failed attempt', async () => {
    const moved = await upstream([{ status: 300, body: '{"ok":true}' }]);
    expect((await moved.failure({ retry: 'none' })).code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(moved.attempts.map((attempt) => attempt.outcome)).toEqual(['error']);
    const created = await upstream([{ status: 299, body: '{"ok":true}' }]);
    expect(await created.get()).toEqual({ ok: true });
  });

  it('waits the seconds a Retry-After gives before asking again', async () => {
    const api = await upstream([{ status: 503, headers: { 'retry-after': '1' } }, { body: '{"n":2}' }]);
    const started = performance.now();
    expect(await api.get()).toEqual({ n: 2 });
    // A lower bound only: however slow the machine, the retry cannot come sooner.
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(api.seen).toHaveLength(2);
  });

  it('reads a Retry-After as seconds only when it is digits alone, else as an HTTP date', async () => {
    const spaced = await upstream([{ status: 503, headers: { 'retry-after': ' 1 ' } }, { body: '{"n":3}' }]);
    const started = performance.now();
    expect(await spaced.get()).toEqual({ n: 3 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    // Seconds past the policy's wait: the caller hears them, and nothing is asked again.
    const long = await upstream([{ status: 429, headers: { 'retry-after': '12' } }], { maxRetryAfterMs: 5_000 });
    const refused = await long.failure();
    expect(refused.retryAfterSeconds).toBe(12);
    expect(long.seen).toHaveLength(1);
    // Digits with something before or after are neither seconds nor a date: unreadable, so asked again as any 429.
    for (const header of ['12abc', 'abc12']) {
      const odd = await upstream([{ status: 429, headers: { 'retry-after': header } }], { maxRetryAfterMs: 5_000 });
      const error = await odd.failure();
      expect(error.retryAfterSeconds, header).toBeNull();
      expect(odd.seen, header).toHaveLength(3);
    }
  });

  it('waits for a Retry-After of exactly maxRetryAfterMs', async () => {
    for (const status of [429, 503]) {
      const api = await upstream([{ status, headers: { 'retry-after': '1' } }, { body: '{"n":4}' }], { maxRetryAfterMs: 1_000 });
      const started = performance.now();
      expect(await api.get(), String(status)).toEqual({ n: 4 });
      // Waited for, not the policy's short backoff instead.
      expect(performance.now() - started).toBeGreaterThanOrEqual(990);
      expect(api.seen).toHaveLength(2);
    }
  });
});
