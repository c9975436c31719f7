import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBatcher } from '../sources/kit/batcher.js';
import type { LookUpSpan } from '../sources/kit/trace.js';
import { safeUrl } from '../tracing/safe-url.js';
import { startTracing } from '../tracing/start.js';
import { captureLogs } from './helpers/log-capture.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver.js';
import { startGateway } from './helpers/gateway.js';
import type { GraphQLResponse } from './helpers/gateway.js';
import { startWeatherHarness, type WeatherHarness } from './helpers/weather.js';

// A gateway on the simulator, tracing to a receiver on 127.0.0.1 in OTLP/HTTP JSON. Verdicts
// never wait for the batch processor's timer: flush() resolves once the receiver has the spans.

const API_KEY = 'mirror-key-never-in-a-span';
const CITIES = /* GraphQL */ `
  query Cities($names: [String!]!) {
    cities(names: $names) {
      __typename
      ... on City { name weather { __typename } airQuality { __typename } country { __typename } }
    }
  }
`;
const WEATHER = /* GraphQL */ `
  query Weather($cities: [String!]!) {
    weather(cities: $cities) { __typename ... on WeatherError { code } }
  }
`;
const POSTS = /* GraphQL */ `
  query LatestPosts {
    posts(first: 3) { edges { node { title author { username displayName } } } }
  }
`;

let receiver: OtlpReceiver;
let harness: WeatherHarness;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  harness = await startWeatherHarness(
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', REST_COUNTRIES_API_KEY: API_KEY },
    {},
    // Every request executes: an answer from the response cache has no look-ups to show.
    { seed: true, tuning: { responseTtlMs: 0, shareQueries: false } },
  );
});
afterAll(async () => {
  await harness?.close();
  await receiver?.close();
});
beforeEach(() => harness.sim.resetCalls());

interface Trace {
  server: ReceivedSpan;
  spans: ReceivedSpan[];
  children(span: ReceivedSpan): ReceivedSpan[];
  named(name: string): ReceivedSpan[];
}

/** The trace of the request that got `response`, found by its request id, once every span is sent. */
async function traceOf(response: GraphQLResponse): Promise<Trace> {
  await harness.gateway.tracing!.flush();
  const requestId = response.headers.get('x-request-id');
  const server = receiver.spans().find((span) => span.kind === 'server' && span.attributes['gatherql.request.id'] === requestId);
  if (!server) throw new Error(`no server span with the request id ${requestId}`);
  const spans = receiver.spans().filter((span) => span.traceId === server.traceId);
  return {
    server,
    spans,
    children: (parent) => spans.filter((span) => span.parentSpanId === parent.spanId),
    named: (name) => spans.filter((span) => span.name === name),
  };
}

const names = (spans: ReceivedSpan[]) => spans.map((span) => span.name).sort();
const only = (spans: ReceivedSpan[]) => {
  expect(spans).toHaveLength(1);
  return spans[0]!;
};

describe('a traced cities request', () => {
  it('is one trace: the request, its GraphQL phases, a look-up per key, a span per upstream attempt', async () => {
    const response = await harness.gateway.query(CITIES, { names: ['Berlin', 'Paris'] });
    expect(response.body.errors).toBeUndefined();
    const trace = await traceOf(response);

    expect(trace.server).toMatchObject({
      name: 'POST /graphql',
      parentSpanId: null,
      status: 'unset',
      resource: { 'service.name': 'gatherql' },
      attributes: {
        'http.request.method': 'POST',
        'url.path': '/graphql',
        'url.scheme': 'http',
        'http.route': '/graphql',
        'http.response.status_code': 200,
        'graphql.operation.name': 'Cities',
        'graphql.operation.type': 'query',
      },
    });
    expect(names(trace.children(trace.server))).toEqual(['graphql.parse', 'graphql.validate', 'query']);
    const execution = only(trace.named('query'));
    expect(execution.attributes).toEqual({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'Cities' });

    // The cities are placed, then weather and air quality go out in one batched call per API,
    // and the first country look-up loads the countries dataset while the other waits for it.
    expect(names(trace.children(execution))).toEqual([
      'air-quality batch',
      'forecast batch',
      'look-up air-quality',
      'look-up air-quality',
      'look-up countries',
      'look-up countries',
      'look-up geocoding',
      'look-up geocoding',
      'look-up weather',
      'look-up weather',
    ]);
    for (const lookUp of trace.spans.filter((span) => span.name.startsWith('look-up'))) {
      const result = lookUp.name === 'look-up countries' && lookUp.links.length > 0 ? 'joined' : 'miss';
      expect(lookUp.attributes).toMatchObject({ 'gatherql.cache.result': result, 'gatherql.freshness': 'LIVE' });
      expect(lookUp.events).toEqual([]);
    }
    expect(
      trace
        .named('look-up geocoding')
        .map((span) => span.attributes['gatherql.cache.key'])
        .sort(),
    ).toEqual(['berlin', 'paris']);

    // Geocoding asks one name per call: its attempt is its look-up's child.
    for (const lookUp of trace.named('look-up geocoding')) {
      const attempt = only(trace.children(lookUp));
      const port = Number(new URL(harness.sim.geocodingUrl).port);
      expect(attempt).toMatchObject({
        name: 'GET /v1/search',
        kind: 'client',
        status: 'unset',
        attributes: {
          'http.request.method': 'GET',
          'url.full': `${harness.sim.geocodingUrl}/v1/search?name=${lookUp.attributes['gatherql.cache.key']}&count=1&language=en&format=json`,
          'server.address': '127.0.0.1',
          'server.port': port,
          'http.response.status_code': 200,
          'gatherql.upstream.source': 'geocoding',
          'gatherql.upstream.outcome': 'ok',
          'gatherql.upstream.hedge': false,
        },
      });
      expect(attempt.attributes).not.toHaveProperty('http.request.resend_count');
    }

    // A batched call is linked to each look-up it answered, and parented by neither.
    for (const [batch, cache, path] of [
      ['forecast batch', 'look-up weather', '/v1/forecast'],
      ['air-quality batch', 'look-up air-quality', '/v1/air-quality'],
    ] as const) {
      const span = only(trace.named(batch));
      expect(span.attributes).toMatchObject({ 'gatherql.batch.keys': 2, 'gatherql.batch.look_ups': 2 });
      const lookUps = trace.named(cache);
      expect(span.links.map((link) => link.spanId).sort()).toEqual(lookUps.map((lookUp) => lookUp.spanId).sort());
      expect(span.links.every((link) => link.traceId === trace.server.traceId)).toBe(true);
      for (const lookUp of lookUps) expect(trace.children(lookUp)).toEqual([]);
      expect(only(trace.children(span))).toMatchObject({ name: `GET ${path}`, kind: 'client', attributes: { 'http.response.status_code': 200 } });
    }
    expect(harness.sim.calls().forecastBatchSizes).toEqual([2]);

    // The countries dataset: its pages are the children of the look-up that loaded it; the other look-up is linked to that one.
    const [loader, joiner] = trace.named('look-up countries').toSorted((a, b) => a.links.length - b.links.length);
    expect(joiner!.links).toEqual([{ traceId: trace.server.traceId, spanId: loader!.spanId }]);
    expect(trace.children(joiner!)).toEqual([]);
    const pages = trace.children(loader!);
    expect(pages.map((page) => page.name)).toEqual(['GET /countries/v5', 'GET /countries/v5', 'GET /countries/v5']);
    expect(pages.map((page) => new URL(page.attributes['url.full'] as string).searchParams.get('offset'))).toEqual(['0', '100', '200']);

    // Every upstream call carried this trace, with the span of its own attempt as the parent.
    const attempts = trace.spans.filter((span) => span.kind === 'client');
    expect(attempts).toHaveLength(7);
    const seen = harness.sim.calls().traceContexts;
    expect(seen.map((context) => context.traceparent).sort()).toEqual(attempts.map((attempt) => `00-${trace.server.traceId}-${attempt.spanId}-01`).sort());
    expect(seen.map((context) => context.upstream).sort()).toEqual([
      'air-quality',
      'countries',
      'countries',
      'countries',
      'forecast',
      'geocoding',
      'geocoding',
    ]);
  });

  it('records a cache hit on the look-up, and no attempt', async () => {
    await harness.gateway.query(WEATHER, { cities: ['Lisbon'] });
    const response = await harness.gateway.query(WEATHER, { cities: ['Lisbon'] });
    const trace = await traceOf(response);
    const lookUps = trace.spans.filter((span) => span.name.startsWith('look-up'));
    expect(names(lookUps)).toEqual(['look-up geocoding', 'look-up weather']);
    for (const lookUp of lookUps) {
      expect(lookUp.attributes).toMatchObject({ 'gatherql.cache.result': 'hit', 'gatherql.freshness': 'CACHED' });
      expect(lookUp.events).toEqual([]);
    }
    expect(trace.spans.filter((span) => span.kind === 'client')).toEqual([]);
  });

  it('traces a refresh in the background as a trace of its own, linked to the look-up that found the value stale', async () => {
    // A TTL of 0: the second look-up finds the value stale, answers it at once and starts a refresh.
    const stale = await startWeatherHarness(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'gatherql-refresh', WEATHER_CACHE_TTL_S: '0' },
      {},
      { tuning: { responseTtlMs: 0, shareQueries: false } },
    );
    try {
      await stale.gateway.query(WEATHER, { cities: ['Vienna'] });
      const response = await stale.gateway.query(WEATHER, { cities: ['Vienna'] });
      await stale.gateway.tracing!.flush();
      const lookUp = only(
        receiver
          .spans()
          .filter(
            (span) =>
              span.resource['service.name'] === 'gatherql-refresh' && span.name === 'look-up weather' && span.attributes['gatherql.cache.result'] === 'stale',
          ),
      );
      expect(lookUp).toMatchObject({ events: ['cache.refresh'], attributes: { 'gatherql.freshness': 'STALE' } });
      expect(response.body.data.weather[0].__typename).toBe('CityWeather');
      const refresh = () =>
        receiver
          .spans()
          .find(
            (span) =>
              span.resource['service.name'] === 'gatherql-refresh' && span.name === 'look-up weather' && span.attributes['gatherql.cache.result'] === 'refresh',
          );
      await expect
        .poll(
          async () => {
            await stale.gateway.tracing!.flush();
            return refresh()?.attributes['gatherql.freshness'];
          },
          { timeout: 30_000 },
        )
        .toBe('LIVE');
      expect(refresh()).toMatchObject({
        parentSpanId: null,
        resource: { 'service.name': 'gatherql-refresh' },
        links: [{ traceId: lookUp.traceId, spanId: lookUp.spanId }],
      });
      expect(refresh()!.traceId).not.toBe(lookUp.traceId);
      const attempt = only(receiver.spans().filter((span) => span.parentSpanId === refresh()!.spanId));
      expect(attempt).toMatchObject({ name: 'GET /v1/forecast', traceId: refresh()!.traceId, attributes: { 'gatherql.upstream.outcome': 'ok' } });
      expect(stale.sim.calls().traceContexts.at(-1)).toMatchObject({ upstream: 'forecast', traceparent: `00-${attempt.traceId}-${attempt.spanId}-01` });
    } finally {
      await stale.close();
    }
  });

  it('gives each retry its own span, with its resend count, status and outcome', async () => {
    harness.sim.setFaults([{ endpoint: 'forecast', city: 'Oslo', fault: { kind: 'status', status: 503 } }]);
    try {
      const response = await harness.gateway.query(WEATHER, { cities: ['Oslo'] });
      expect(response.body.data.weather[0]).toEqual({ __typename: 'WeatherError', code: 'UPSTREAM_UNAVAILABLE' });
      const trace = await traceOf(response);
      const lookUp = only(trace.named('look-up weather'));
      expect(lookUp).toMatchObject({ status: 'error', attributes: { 'error.type': 'UPSTREAM_UNAVAILABLE', 'gatherql.cache.result': 'miss' } });
      const attempts = trace.children(lookUp);
      expect(attempts.map((attempt) => attempt.attributes['http.request.resend_count'])).toEqual([undefined, 1, 2]);
      for (const attempt of attempts) {
        expect(attempt).toMatchObject({
          name: 'GET /v1/forecast',
          status: 'error',
          attributes: { 'http.response.status_code': 503, 'error.type': '503', 'gatherql.upstream.outcome': 'error' },
        });
      }
    } finally {
      harness.sim.resetFaults();
    }
  });

  it('never sends a secret: not the API key of a source, not the query string of a GET request', async () => {
    const response = await harness.gateway.yoga.fetch(
      `http://gatherql.test/graphql?query=${encodeURIComponent('query Secretive { __typename }')}&variables=${encodeURIComponent('{"password":"hunter2"}')}`,
      {
        headers: { accept: 'application/graphql-response+json' },
      },
    );
    expect(response.status).toBe(200);
    await harness.gateway.query(CITIES, { names: ['Madrid'] });
    await harness.gateway.tracing!.flush();
    const server = receiver.spans().find((span) => span.kind === 'server' && span.attributes['graphql.operation.name'] === 'Secretive')!;
    expect(server.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.path': '/graphql' });
    const sent = receiver.requests().map((request) => request.body.toString('utf8'));
    expect(sent.join('\n')).toContain('GET /countries/v5');
    for (const body of sent) {
      expect(body).not.toContain(API_KEY);
      expect(body).not.toContain('hunter2');
    }
  });
});

describe('a traced request for posts with their authors', () => {
  it('has one span per SQL statement under the execution, with its text and no values', async () => {
    const response = await harness.gateway.query(POSTS);
    expect(response.body.data.posts.edges).toHaveLength(3);
    const trace = await traceOf(response);
    const execution = only(trace.named('query'));
    const statements = trace.children(execution);
    expect(names(statements)).toEqual(['SELECT posts', 'SELECT users']);
    // As many spans as statements the request sent (its Server-Timing counts them).
    expect(response.headers.get('server-timing')).toContain(`desc="${statements.length} SQL statements"`);
    const posts = only(trace.named('SELECT posts'));
    expect(posts).toMatchObject({
      kind: 'client',
      attributes: { 'db.system.name': 'sqlite', 'db.operation.name': 'SELECT', 'db.collection.name': 'posts', 'db.query.summary': 'SELECT posts' },
    });
    // The page size travels as a parameter: `limit ?`, never `limit 4`.
    expect(posts.attributes['db.query.text']).toMatch(/^select .* from posts .*limit \?$/);
    expect(only(trace.named('SELECT users')).attributes['db.query.text']).toMatch(/where users\.id in \(\?, \?, \?\)$/);
  });
});

describe('W3C trace context on a request', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';

  it('is continued: the request span is its child, and every upstream call carries the same trace and tracestate', async () => {
    const response = await harness.gateway.query(
      WEATHER,
      { cities: ['Tokyo'] },
      { traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'gatherql-test=1' },
    );
    const trace = await traceOf(response);
    expect(trace.server).toMatchObject({ traceId, parentSpanId: parentId });
    const seen = harness.sim.calls().traceContexts;
    expect(seen.map((context) => context.upstream).sort()).toEqual(['forecast', 'geocoding']);
    for (const context of seen) {
      expect(context.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(context.tracestate).toBe('gatherql-test=1');
    }
  });

  it('is honoured when its caller did not sample it: nothing is recorded, the decision travels on', async () => {
    const unsampled = '0af7651916cd43dd8448eb211c80319c';
    const response = await harness.gateway.query(WEATHER, { cities: ['Cairo'] }, { traceparent: `00-${unsampled}-${parentId}-00` });
    expect(response.status).toBe(200);
    await harness.gateway.tracing!.flush();
    expect(receiver.spans().filter((span) => span.traceId === unsampled)).toEqual([]);
    const seen = harness.sim.calls().traceContexts;
    expect(seen).toHaveLength(2);
    for (const context of seen) expect(context.traceparent).toMatch(new RegExp(`^00-${unsampled}-[0-9a-f]{16}-00$`));
  });
});

describe('an OTLP endpoint that is down', () => {
  it('costs the gateway nothing but a warning: requests are answered and close() resolves', async () => {
    const closed = await startOtlpReceiver();
    const url = closed.url;
    await closed.close();
    const logs = captureLogs('warn');
    const gateway = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, { logger: logs.logger });
    const response = await gateway.query('query Probe { __typename }');
    expect(response.body).toEqual({ data: { __typename: 'Query' } });
    await expect(gateway.close()).resolves.toBeUndefined();
    expect(logs.lines().map((line) => line.msg)).toContain('tracing: the last spans could not be sent to the OTLP endpoint and were dropped');
  });
});

describe('the OTLP encoding', () => {
  it('is protobuf unless OTEL_EXPORTER_OTLP_PROTOCOL says http/json', async () => {
    const gateway = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'gatherql-protobuf' });
    try {
      const before = receiver.requests().length;
      await gateway.query('query Probe { __typename }');
      await gateway.tracing!.flush();
      const sent = receiver.requests().slice(before);
      expect(sent.map(({ path, contentType }) => ({ path, contentType }))).toEqual([{ path: '/v1/traces', contentType: 'application/x-protobuf' }]);
      expect(sent[0]!.body.includes('gatherql-protobuf')).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});

describe('a batched call shared by several requests', () => {
  /** Two look-ups answered by one batched call: the spans it made, and the look-ups' and requests' spans. */
  async function batchOf(serviceName: string, lookUps: (tracing: Awaited<ReturnType<typeof startTracing>>) => [LookUpSpan, LookUpSpan]) {
    const tracing = await startTracing(
      { url: `${receiver.url}/v1/traces`, protocol: 'http/json', serviceName, sampler: 'parentbased_always_on', samplerRatio: 1 },
      { logger: pino({ level: 'silent' }), dialect: 'sqlite' },
    );
    const batcher = createBatcher<string>({
      name: 'forecast',
      cap: 10,
      call: async (keys, context) => {
        context
          .trace!.attempt({ source: 'forecast', method: 'GET', url: new URL('http://127.0.0.1:9/v1/forecast'), resendCount: 0, hedge: false })
          .end({ outcome: 'ok', status: 200 });
        return keys.map((key) => key.toUpperCase());
      },
    });
    const [first, second] = lookUps(tracing);
    // Loaded in one turn: one call answers both.
    expect(await Promise.all([batcher.load('a', { trace: first.calls }), batcher.load('b', { trace: second.calls })])).toEqual(['A', 'B']);
    first.end({ state: 'LIVE' });
    second.end({ state: 'LIVE' });
    await tracing.shutdown();
    const spans = receiver.spans().filter((span) => span.resource['service.name'] === serviceName);
    const lookUpSpans = spans.filter((span) => span.name === 'look-up weather');
    const batch = only(spans.filter((span) => span.name === 'forecast batch'));
    const attempt = only(spans.filter((span) => span.name === 'GET /v1/forecast'));
    return { spans, lookUpSpans, batch, attempt };
  }
  const request = () => new Request('http://gatherql.test/graphql', { method: 'POST' });

  it("is a trace of its own, linked to each request's look-up, and each look-up is linked to it", async () => {
    const { spans, lookUpSpans, batch, attempt } = await batchOf('gatherql-shared-batch', (tracing) => [
      tracing.request(request()).operation().lookUp('weather', 'a'),
      tracing.request(request()).operation().lookUp('weather', 'b'),
    ]);
    expect(lookUpSpans).toHaveLength(2);
    expect(new Set(lookUpSpans.map((span) => span.traceId)).size).toBe(2);
    expect(batch.parentSpanId).toBeNull();
    expect(lookUpSpans.map((span) => span.traceId)).not.toContain(batch.traceId);
    expect(batch.links).toEqual(expect.arrayContaining(lookUpSpans.map(({ traceId, spanId }) => ({ traceId, spanId }))));
    for (const lookUp of lookUpSpans) expect(lookUp.links).toEqual([{ traceId: batch.traceId, spanId: batch.spanId }]);
    expect(attempt).toMatchObject({ traceId: batch.traceId, parentSpanId: batch.spanId });
    expect(spans.filter((span) => span.parentSpanId === null && span.kind === 'server')).toHaveLength(0);
  });

  it('is recorded by the look-up that is, when the other request was not sampled', async () => {
    const unsampled = new Request('http://gatherql.test/graphql', { method: 'POST', headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-00` } });
    const { lookUpSpans, batch, attempt } = await batchOf('gatherql-half-batch', (tracing) => [
      tracing.request(unsampled).operation().lookUp('weather', 'a'),
      tracing.request(request()).operation().lookUp('weather', 'b'),
    ]);
    const recorded = only(lookUpSpans);
    expect(recorded.attributes['gatherql.cache.key']).toBe('b');
    expect(batch).toMatchObject({
      traceId: recorded.traceId,
      parentSpanId: recorded.parentSpanId,
      links: [{ traceId: recorded.traceId, spanId: recorded.spanId }],
    });
    expect(attempt.parentSpanId).toBe(batch.spanId);
  });

  it('within one request hangs where the look-ups began, linked to both', async () => {
    const { lookUpSpans, batch, attempt } = await batchOf('gatherql-own-batch', (tracing) => {
      const operation = tracing.request(request()).operation();
      return [operation.lookUp('weather', 'a'), operation.lookUp('weather', 'b')];
    });
    expect(new Set([...lookUpSpans, batch].map((span) => `${span.traceId}/${span.parentSpanId}`)).size).toBe(1);
    expect(batch.links.map((link) => link.spanId).sort()).toEqual(lookUpSpans.map((span) => span.spanId).sort());
    for (const lookUp of lookUpSpans) expect(lookUp.links).toEqual([]);
    expect(attempt.parentSpanId).toBe(batch.spanId);
  });
});

describe('an upstream URL in a span', () => {
  it('loses its user name, password and the value of every parameter that may be a credential', () => {
    expect(
      safeUrl(new URL('https://user:pw@mirror.example/countries/v5?response_fields=names.common,codes&api-key=K1&api_key=K2&Signature=S&accessToken=T')),
    ).toBe(
      'https://REDACTED:REDACTED@mirror.example/countries/v5?response_fields=names.common%2Ccodes&api-key=REDACTED&api_key=REDACTED&Signature=REDACTED&accessToken=REDACTED',
    );
    expect(safeUrl(new URL('http://127.0.0.1:9/v1/search?name=berlin&count=1'))).toBe('http://127.0.0.1:9/v1/search?name=berlin&count=1');
  });
});
