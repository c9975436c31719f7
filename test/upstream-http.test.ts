import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import type { BackgroundLane } from '../sources/kit/background-lane.js';
import { type BackgroundThread, createBackgroundThread } from '../sources/kit/background-thread.js';
import { createUpstreamHttp, type GetJsonRequest, type SourceSpec, type UpstreamAttempt, type UpstreamHttp } from '../sources/kit/http.js';
import { createMemoryQuotaStore, createQuota } from '../sources/kit/quota.js';
import type { AttemptFacts, CallTrace } from '../sources/kit/trace.js';
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

/**
 * Where attempts are sent from: the thread that serves requests (a request's calls), or the
 * background thread (a report's: their lane carries it). Every test runs both ways.
 */
type Way = 'serving thread' | 'background thread';
let way: Way = 'serving thread';

let servers: Server[] = [];
let clients: UpstreamHttp[] = [];
let threads: BackgroundThread[] = [];
afterEach(async () => {
  for (const client of clients) client.close();
  await Promise.all(threads.map((thread) => thread.close()));
  threads = [];
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
  clients = [];
});

/** A server answering `script` in turn (the last answer again once it runs out), and a source of the kit on it. */
async function upstream(script: Scripted[], policy: UpstreamPolicyOverrides = {}, headers?: Record<string, string>, spec: Partial<SourceSpec> = {}) {
  const seen: IncomingHttpHeaders[] = [];
  let connections = 0;
  const server = createServer((request, response) => {
    seen.push(request.headers);
    const answer = script[Math.min(seen.length - 1, script.length - 1)]!;
    if (answer.hang) return;
    response.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body ?? '{"ok":true}');
  });
  server.on('connection', () => (connections += 1));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const attempts: UpstreamAttempt[] = [];
  const hedges: string[] = [];
  const http = createUpstreamHttp({ onAttempt: (attempt) => attempts.push(attempt), onHedge: (name) => hedges.push(name) });
  clients.push(http);
  const source = http.source({
    name: 'test',
    what: 'The test API',
    baseUrl,
    policy: upstreamPolicy(10_000, { ...TEST_POLICY, ...policy }),
    ...(headers && { headers }),
    ...spec,
  });
  let thread: BackgroundThread | undefined;
  if (way === 'background thread') {
    thread = createBackgroundThread();
    threads.push(thread);
  }
  // A lane of its own that sends from the thread, under whatever context the test gives.
  const lane: BackgroundLane | undefined = thread && ((attempt) => attempt(thread));
  const get = (request: Partial<GetJsonRequest<unknown>> = {}) =>
    source.getJson({ url: new URL(`${baseUrl}/v1/things`), parse: (body) => body, ...request, context: { ...(lane && { lane }), ...request.context } });
  /** Closes the client, and the thread its attempts are sent from. */
  const close = async () => {
    http.close();
    await thread?.close();
  };
  const failure = async (request: Partial<GetJsonRequest<unknown>> = {}) => {
    const error = await get(request).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    return error as UpstreamError;
  };
  return { get, failure, close, seen, attempts, hedges, http, baseUrl, server, connections: () => connections };
}

describe.each<Way>(['serving thread', 'background thread'])('the upstream HTTP client, sending from the %s', (sendingFrom) => {
  beforeAll(() => {
    way = sendingFrom;
  });

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
    // `no-timeouts` spares only timeouts: a 503 is asked again.
    const noTimeouts = await upstream([{ status: 503 }]);
    await noTimeouts.failure({ retry: 'no-timeouts' });
    expect(noTimeouts.seen).toHaveLength(3);
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
      return attempt(undefined);
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

  it('traces each attempt: which one it is, the trace context it sends, and how it ended', async () => {
    const trace = recordingTrace();
    const api = await upstream([{ status: 503 }, { body: '{"n":5}' }]);
    expect(await api.get({ context: { trace } })).toEqual({ n: 5 });
    const url = new URL(`${api.baseUrl}/v1/things`);
    expect(trace.facts).toEqual([
      { source: 'test', method: 'GET', url, resendCount: 0, hedge: false },
      { source: 'test', method: 'GET', url, resendCount: 1, hedge: false },
    ]);
    // Only the facts there are: no status key without a status, no error key without an error.
    expect(trace.ends).toStrictEqual([
      { outcome: 'error', status: 503 },
      { outcome: 'ok', status: 200 },
    ]);
    expect(api.seen.map((headers) => headers.traceparent)).toEqual(['00-attempt-1', '00-attempt-2']);

    const shape = new UpstreamError('UPSTREAM_BAD_RESPONSE', 'no results field');
    const wrong = recordingTrace();
    await api.failure({
      context: { trace: wrong },
      parse: () => {
        throw shape;
      },
    });
    expect(wrong.ends).toStrictEqual([{ outcome: 'error', status: 200, error: shape }]);

    const refused = await upstream([{}]);
    refused.server.close();
    await once(refused.server, 'close');
    const unreachable = recordingTrace();
    await refused.failure({ context: { trace: unreachable }, retry: 'none' });
    expect(unreachable.ends).toHaveLength(1);
    expect(Object.keys(unreachable.ends[0]!)).toEqual(['outcome', 'error']);
    expect((unreachable.ends[0]!.error as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('sends a hedge for a slow call, traced as the hedge, and takes whichever answers first', async () => {
    const trace = recordingTrace();
    const api = await upstream([{ hang: true }, { body: '{"n":6}' }], { hedge: { delayMs: 20, minDelayMs: 1 } });
    expect(await api.get({ context: { trace } })).toEqual({ n: 6 });
    expect(api.hedges).toEqual(['test']);
    expect(trace.facts.map((facts) => [facts.resendCount, facts.hedge])).toEqual([
      [0, false],
      [0, true],
    ]);
    // The slow attempt was given up, not held against the host.
    await expect.poll(() => trace.ends.map((end) => end.outcome).sort()).toEqual(['cancelled', 'ok']);
  });

  it('needs no observer and no more of a context than it is given', async () => {
    // The first request is never answered: only a hedge can answer the hedging call.
    let calls = 0;
    const server = createServer((_request, response) => {
      calls += 1;
      if (calls === 2) return;
      response.end('{"n":7}');
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const http = createUpstreamHttp();
    clients.push(http);
    const url = new URL(`${baseUrl}/v1/things`);
    const plain = http.source({ name: 'plain', what: 'The plain API', baseUrl, policy: upstreamPolicy(10_000, TEST_POLICY) });
    expect(await plain.getJson({ url, parse: (body) => body, context: {} })).toEqual({ n: 7 });
    // A hedge: no onHedge to tell, no signal in the context to look at.
    const policy = upstreamPolicy(10_000, { ...TEST_POLICY, hedge: { delayMs: 20, minDelayMs: 1 } });
    const hedging = http.source({ name: 'hedging', what: 'The hedging API', baseUrl, policy });
    expect(await hedging.getJson({ url, parse: (body) => body, context: { trace: recordingTrace() } })).toEqual({ n: 7 });
    expect(calls).toBe(3);
  });

  it('reports how long an attempt took', async () => {
    const api = await upstream([{}]);
    const before = performance.now();
    await api.get();
    const took = performance.now() - before;
    expect(api.attempts).toHaveLength(1);
    expect(api.attempts[0]!.durationMs).toBeGreaterThan(0);
    expect(api.attempts[0]!.durationMs).toBeLessThanOrEqual(took);
  });

  it('follows no redirect: a 302 is a failed attempt and its Location is never asked', async () => {
    const api = await upstream([{ status: 302, headers: { location: '/v1/elsewhere' } }]);
    expect((await api.failure()).code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(api.seen).toHaveLength(1);
  });

  it('keeps its connection to a host open between calls, and closes it with the client', async () => {
    const api = await upstream([{}]);
    await api.get();
    await api.get();
    expect(api.connections()).toBe(1);
    await api.close();
    await expect.poll(() => new Promise((resolve) => api.server.getConnections((_error, count) => resolve(count)))).toBe(0);
    expect(api.http.circuits()).toEqual({});
  });

  it('rejects a call still waiting for a connection when the client closes', async () => {
    const api = await upstream([{ hang: true }], { concurrencyPerHost: 1 });
    const first = api.failure({ retry: 'none' });
    await expect.poll(() => api.seen.length).toBe(1);
    const waiting = api.get().then(
      () => 'answered',
      () => 'rejected',
    );
    await api.close();
    expect(await waiting).toBe('rejected');
    // The call under way loses its connection with the client.
    expect((await first).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(api.seen).toHaveLength(1);
  });

  it('answers a 2xx with its body even when the request says what a 404 stands for', async () => {
    const api = await upstream([{ body: '{"results":[1]}' }]);
    expect(await api.get({ onNotFound: () => ({ results: [] }) })).toEqual({ results: [1] });
  });

  it('treats a 429 that names no window as any 429 when the source has a quota but no reading of its body', async () => {
    const quota = createQuota({ name: 'test', limits: { minute: 100 }, store: createMemoryQuotaStore(), now: () => 30_000 });
    const api = await upstream([{ status: 429 }, { body: '{"n":8}' }], {}, undefined, { quota });
    expect(await api.get()).toEqual({ n: 8 });
    expect(api.seen).toHaveLength(2);
  });

  it('does not hold a spent quota or an oversized body against the host the same way', async () => {
    const quota = createQuota({ name: 'test', limits: { minute: 1 }, store: createMemoryQuotaStore(), now: () => 30_000 });
    const spent = await upstream([{}], {}, undefined, { quota });
    await spent.get();
    expect((await spent.failure()).hostFailure).toBe(false);
    const over = await upstream([{ body: `"${'x'.repeat(100)}"` }], { maxResponseBytes: 10 });
    const error = await over.failure();
    expect(error.hostFailure).toBe(true);
    expect(error.cause).toBeDefined();
  });

  it('does not retry an answer that is not HTTP at all', async () => {
    let connections = 0;
    const garbage = createNetServer((socket) => {
      connections += 1;
      socket.once('data', () => socket.end('garbage\r\n\r\n'));
    });
    garbage.listen(0, '127.0.0.1');
    await once(garbage, 'listening');
    const baseUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
    const http = createUpstreamHttp();
    clients.push(http);
    const source = http.source({ name: 'garbage', what: 'The garbage API', baseUrl, policy: upstreamPolicy(10_000, TEST_POLICY) });
    const error = await source.getJson({ url: new URL(`${baseUrl}/`), parse: (body) => body }).catch((caught: unknown) => caught);
    garbage.close();
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).message).toBe('The garbage API failed');
    expect(connections).toBe(1);
  });

  it('gives a call that waited for a connection past its budget a timeout that is not the host’s fault', async () => {
    const api = await upstream([{ hang: true }], { concurrencyPerHost: 1, budgetMs: 300, timeoutMs: 10_000 });
    // Both budgets start together: the second ends while the first still holds the only connection.
    const first = api.failure({ retry: 'none' });
    const second = api.failure({ retry: 'none' });
    const [slow, waited] = await Promise.all([first, second]);
    expect(slow.code).toBe('UPSTREAM_TIMEOUT');
    expect(waited.code).toBe('UPSTREAM_TIMEOUT');
    expect(waited.message).toBe('The test API did not answer in time');
    expect(waited.hostFailure).toBe(false);
    expect(waited.origin).not.toBe('caller');
    expect(api.seen).toHaveLength(1);
  });

  it('reports no attempt for a call given up while it waited for a connection', async () => {
    const api = await upstream([{ hang: true }], { concurrencyPerHost: 1 });
    const holder = new AbortController();
    const first = api.failure({ context: { signal: holder.signal } });
    await expect.poll(() => api.seen.length).toBe(1);
    const abort = new AbortController();
    const second = api.failure({ context: { signal: abort.signal } });
    abort.abort();
    holder.abort();
    expect((await second).origin).toBe('caller');
    await first;
    expect(api.attempts.map((attempt) => attempt.outcome)).toEqual(['cancelled']);
    expect(api.seen).toHaveLength(1);
  });

  it('stops waiting to retry as soon as its caller gives up', async () => {
    const api = await upstream([{ status: 503, headers: { 'retry-after': '3600' } }], { maxRetryAfterMs: 3_600_000, budgetMs: 7_200_000 });
    const abort = new AbortController();
    const pending = api.failure({ context: { signal: abort.signal } });
    await expect.poll(() => api.attempts.length).toBe(1);
    abort.abort();
    // An hour's wait cut short: this settles only if the wait heard the abort.
    const error = await pending;
    expect(error.message).toBe('The test API: cancelled, nobody waits for the answer any longer');
    expect(error.origin).toBe('caller');
    expect(api.seen).toHaveLength(1);
  });

  it('makes no retry that could not start before its caller’s deadline, and fails with what the host said', async () => {
    const api = await upstream([{ status: 503, headers: { 'retry-after': '30' } }], { maxRetryAfterMs: 60_000 });
    const error = await api.failure({ context: { deadline: performance.now() + 10_000 } });
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toContain('503');
    expect(api.seen).toHaveLength(1);
  });

  it('backs off as usual after a 503 whose Retry-After is past maxRetryAfterMs', async () => {
    const api = await upstream([{ status: 503, headers: { 'retry-after': '3600' } }], { maxRetryAfterMs: 1_000 });
    expect((await api.failure()).code).toBe('UPSTREAM_UNAVAILABLE');
    // Retried after the policy's own short backoff, not given up for an hour's wait.
    expect(api.seen).toHaveLength(3);
  });

  it('gives an attempt no longer than what is left of the call’s budget', async () => {
    const api = await upstream([{ hang: true }], { budgetMs: 300, timeoutMs: 60_000 });
    expect((await api.failure({ retry: 'none' })).code).toBe('UPSTREAM_TIMEOUT');
    // Cut at the budget's end, not at the attempt timeout's (a margin of a hundred times).
    expect(api.attempts.map((attempt) => attempt.outcome)).toEqual(['timeout']);
    expect(api.attempts[0]!.durationMs).toBeLessThan(30_000);
  });

  it('learns how slow is slow from answered attempts only', async () => {
    // Hedge once three latencies are known: failures are no latency.
    const policy = { hedge: { percentile: 50, minSamples: 3, minDelayMs: 1, maxShare: 1 }, timeoutMs: 500 };
    const failing = await upstream([{ status: 503 }, { status: 503 }, { status: 503 }, { hang: true }, {}], policy);
    for (let n = 0; n < 3; n += 1) await failing.failure({ retry: 'none' });
    expect((await failing.failure({ retry: 'none' })).code).toBe('UPSTREAM_TIMEOUT');
    expect(failing.hedges).toEqual([]);
    const answering = await upstream([{}, {}, {}, { hang: true }, { body: '{"n":9}' }], policy);
    for (let n = 0; n < 3; n += 1) await answering.get();
    expect(await answering.get({ retry: 'none' })).toEqual({ n: 9 });
    expect(answering.hedges).toEqual(['test']);
  });

  it('sends no hedge that could not start before its caller’s deadline', async () => {
    const api = await upstream([{ hang: true }, {}], { hedge: { delayMs: 250, minDelayMs: 1, maxShare: 1 }, timeoutMs: 1_000 });
    // The hedge would go out 250 ms after the first attempt, past the caller's 200 ms.
    const error = await api.failure({ retry: 'none', context: { deadline: performance.now() + 200 } });
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(api.hedges).toEqual([]);
    expect(api.seen).toHaveLength(1);
  });
});

/** A trace that records the facts each attempt starts with and the result each ends with. */
function recordingTrace() {
  const facts: AttemptFacts[] = [];
  const ends: { outcome: string; status?: number; error?: unknown }[] = [];
  const trace: CallTrace & { facts: typeof facts; ends: typeof ends } = {
    facts,
    ends,
    attempt(started) {
      facts.push(started);
      return { headers: { traceparent: `00-attempt-${facts.length}` }, end: (result) => ends.push(result) };
    },
    batch: () => {
      throw new Error('no batches here');
    },
  };
  return trace;
}
