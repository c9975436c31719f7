import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeptAnswers, type KeptAnswers } from '../http/kept-answers.js';
import { createRateLimit } from '../limits/rate-limit.js';
import { counterValue, createMetrics } from '../metrics.js';
import { etagOf } from '../responses/http-caching.js';
import { createInFlightAnswers, type InFlightAnswers, type SharedAnswer } from '../responses/in-flight.js';
import { servedManyTimes } from '../responses/served-many-times.js';
import { createMemoryResponseStore, type KeptResponse } from '../responses/store.js';
import { as } from './helpers/auth.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { type HttpGateway, serveOverHttp, useHttpGateways } from './helpers/http.js';
import { captureLogs } from './helpers/log-capture.js';
import { startWeatherHarness, type WeatherHarness } from './helpers/weather.js';

const BODY = '{"data":{"posts":[]}}';
const kept = (until: number, publicUntil = until): KeptResponse => ({ body: BODY, etag: etagOf(BODY), name: 'Posts', until, publicUntil });

/** Answers the histogram of request durations counted with these labels (Prometheus text form). */
async function answersCounted(metrics: ReturnType<typeof createMetrics>, labels: string): Promise<number> {
  const text = await metrics.registry.metrics();
  return Number(new RegExp(`^gatherql_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/**
 * The lane in front of a stand-in for Yoga, which answers `from yoga` and, as the response
 * cache does, tells the lane the key of each request it sees: here, the request's own bytes.
 */
async function lane(options: { limit?: number } = {}) {
  let clock = 1_000_000;
  const store = createMemoryResponseStore();
  const metrics = createMetrics();
  const logs = captureLogs('info');
  const passedOn: string[] = [];
  // What the stand-in was handed besides the request: an answer the lane waited for.
  const handedOn: (SharedAnswer | undefined)[] = [];
  // The flights the response cache would lead; `waiting` lists each key a request waits for at the lane.
  const inFlight = createInFlightAnswers();
  const waiting: string[] = [];
  const flights: InFlightAnswers = {
    lead: inFlight.lead,
    joinable(key, generation) {
      const flight = inFlight.joinable(key, generation);
      if (flight) waiting.push(key);
      return flight;
    },
  };
  let keptAnswers: KeptAnswers;
  const next = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const key = `${req.method} ${req.url} ${(req as { body?: string }).body ?? ''}`;
    passedOn.push(key);
    keptAnswers.learn(key, { req });
    handedOn.push(keptAnswers.joinedEarlier({ req }));
    res.end('from yoga');
  };
  keptAnswers = createKeptAnswers({
    store,
    flights,
    endpoint: '/graphql',
    now: () => clock,
    logger: logs.logger,
    metrics,
    rateLimit: options.limit ? createRateLimit({ limit: options.limit }) : null,
    trustProxy: false,
  });
  server = createServer(keptAnswers.listener(next));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/graphql`;
  return {
    store,
    metrics,
    logs,
    passedOn,
    handedOn,
    flights,
    waiting,
    url,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
    get: (search: string, headers: Record<string, string> = {}) => fetch(`${url}?${search}`, { headers }),
    post: (body: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }),
  };
}

describe('the lane of kept answers', () => {
  it('passes a request on until the response cache keeps an answer for its key, then writes that answer itself', async () => {
    const l = await lane();
    expect(await (await l.get('query=Q')).text()).toBe('from yoga');
    // Yoga answered, and the response cache kept the answer under the key it told the lane.
    expect(l.passedOn).toEqual(['GET /graphql?query=Q ']);
    l.store.keep('GET /graphql?query=Q ', kept(l.now() + 1000, l.now() + 60_500), 0);
    const answered = await l.get('query=Q', { 'x-request-id': 'abc-1' });
    expect(answered.status).toBe(200);
    expect(await answered.text()).toBe(BODY);
    expect(Object.fromEntries(answered.headers)).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(BODY.length),
      'cache-control': 'public, max-age=60',
      etag: etagOf(BODY),
      vary: 'Accept, Authorization, Origin',
      'x-request-id': 'abc-1',
      'server-timing': expect.stringMatching(/^total;dur=\d+\.\d\d$/),
      'x-processing-time': expect.stringMatching(/^\d\.\d{4}s$/),
    });
    expect(l.passedOn).toHaveLength(1);
    expect(await counterValue(l.metrics.cacheEvents, { cache: 'responses', event: 'hit' })).toBe(1);
    expect(await answersCounted(l.metrics, 'method="GET",status="200",operation="query"')).toBe(1);
    expect(l.logs.lines().filter((line) => line.msg === 'request')).toEqual([
      expect.objectContaining({ requestId: 'abc-1', method: 'GET', path: '/graphql', operationName: 'Posts', status: 200, errors: 0, client: 'ip:127.0.0.1' }),
    ]);
  });

  it('answers a POST of the very bytes it has seen answered; other bytes, even the same operation spaced otherwise, go to Yoga', async () => {
    const l = await lane();
    const body = '{"query":"{ posts { title } }"}';
    await l.post(body, { 'content-type': 'application/json; charset=utf-8' });
    l.store.keep(`POST /graphql ${body}`, kept(l.now() + 1000), 0);
    expect(await (await l.post(body)).text()).toBe(BODY);
    expect(await (await l.post('{"query": "{ posts { title } }"}')).text()).toBe('from yoga');
    // POSTs are not kept by HTTP caches: no Cache-Control.
    expect((await l.post(body)).headers.get('cache-control')).toBeNull();
    expect(l.passedOn).toHaveLength(2);
  });

  it('writes the media type the request accepts, as Yoga picks it, and leaves any other Accept to Yoga', async () => {
    const l = await lane();
    for (const accept of ['application/graphql-response+json', '*/*', 'application/json, text/html']) await l.get('query=Q', { accept });
    // What the lane answers depends on the Accept: each is a request of its own, learned from Yoga.
    expect(l.passedOn).toHaveLength(3);
    l.store.keep('GET /graphql?query=Q ', kept(l.now() + 1000), 0);
    expect((await l.get('query=Q', { accept: 'application/graphql-response+json' })).headers.get('content-type')).toBe(
      'application/graphql-response+json; charset=utf-8',
    );
    expect((await l.get('query=Q', { accept: '*/*' })).headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await (await l.get('query=Q', { accept: 'application/json, text/html' })).text()).toBe('from yoga');
  });

  it('leaves to Yoga a signed-in request, a cross-origin one, another path, and an answer no longer kept', async () => {
    const l = await lane();
    await l.get('query=Q');
    l.store.keep('GET /graphql?query=Q ', kept(l.now() + 1000), 0);
    expect(await (await l.get('query=Q', { authorization: 'Bearer x' })).text()).toBe('from yoga');
    expect(await (await l.get('query=Q', { origin: 'https://app.example' })).text()).toBe('from yoga');
    expect(await (await fetch(`${l.url}x?query=Q`)).text()).toBe('from yoga');
    l.advance(1000);
    expect(await (await l.get('query=Q')).text()).toBe('from yoga');
    l.store.keep('GET /graphql?query=Q ', kept(l.now() + 1000), 0);
    expect(await (await l.get('query=Q')).text()).toBe(BODY);
    // A write forgets every kept answer.
    l.store.invalidate();
    expect(await (await l.get('query=Q')).text()).toBe('from yoga');
  });

  it('answers 304 with no body to an If-None-Match that names the kept answer', async () => {
    const l = await lane();
    await l.get('query=Q');
    l.store.keep('GET /graphql?query=Q ', kept(l.now() + 1000), 0);
    const current = await l.get('query=Q', { 'if-none-match': etagOf(BODY) });
    expect(current.status).toBe(304);
    expect(await current.text()).toBe('');
    expect(current.headers.get('etag')).toBe(etagOf(BODY));
    expect((await l.get('query=Q', { 'if-none-match': '"old"' })).status).toBe(200);
  });

  it('spends the rate limit of the client it answers, and refuses it as Yoga would once spent', async () => {
    const l = await lane({ limit: 2 });
    await l.get('query=Q');
    l.store.keep('GET /graphql?query=Q ', kept(l.now() + 60_000), 0);
    const first = await l.get('query=Q');
    expect([first.status, first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')]).toEqual([200, '2', '1']);
    expect((await l.get('query=Q')).headers.get('ratelimit-remaining')).toBe('0');
    const refused = await l.get('query=Q');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
    // The stand-in for Yoga spends nothing: every point was spent by the lane.
    expect(l.passedOn).toHaveLength(1);
  });
});

describe('identical requests in flight, at the lane', () => {
  const BODY_IN_FLIGHT = '{"query":"{ weather }"}';
  const KEY = `POST /graphql ${BODY_IN_FLIGHT}`;
  const shared = (result: object): SharedAnswer => ({ result: servedManyTimes(result), name: 'Weather' });

  /** The lane has seen the bytes answered, and an identical request is being executed (led) in generation 0. */
  async function inFlight() {
    const l = await lane();
    await l.post(BODY_IN_FLIGHT);
    return { l, flight: l.flights.lead(KEY, 0)! };
  }

  it('wait there for the one being executed and get its answer from the lane, never through Yoga', async () => {
    const { l, flight } = await inFlight();
    const answers = Promise.all([l.post(BODY_IN_FLIGHT), l.post(BODY_IN_FLIGHT, { 'x-request-id': 'joined-2' })]);
    await expect.poll(() => l.waiting.length, { timeout: 20_000 }).toBe(2);
    const result = { data: { weather: [{ city: 'Oslo' }] } };
    flight.settle(shared(result));
    const [first, second] = await answers;
    expect(await first.text()).toBe(JSON.stringify(result));
    expect(await second.text()).toBe(JSON.stringify(result));
    expect(Object.fromEntries(second.headers)).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(JSON.stringify(result).length),
      'x-request-id': 'joined-2',
      'server-timing': expect.stringMatching(/^total;dur=\d+\.\d\d$/),
    });
    // A POST says nothing to HTTP caches.
    expect(second.headers.get('cache-control')).toBeNull();
    expect(l.passedOn).toEqual([KEY]);
    expect(await counterValue(l.metrics.cacheEvents, { cache: 'responses', event: 'joined' })).toBe(2);
    expect(await counterValue(l.metrics.cacheEvents, { cache: 'responses', event: 'hit' })).toBe(0);
    expect(l.logs.lines().filter((line) => line.msg === 'request' && line.requestId === 'joined-2')).toEqual([
      expect.objectContaining({ operationName: 'Weather', status: 200, errors: 0 }),
    ]);
  });

  it("tell HTTP caches not to keep a GET's shared answer, as Yoga tells a request that joined one", async () => {
    const l = await lane();
    await l.get('query=W');
    const key = 'GET /graphql?query=W ';
    const result = { data: { weather: [] } };
    const flight = l.flights.lead(key, 0)!;
    const joined = l.get('query=W', { 'if-none-match': '*' });
    await expect.poll(() => l.waiting.length, { timeout: 20_000 }).toBe(1);
    flight.settle(shared(result));
    const answered = await joined;
    // Only the lead's answer has a lifetime (and an ETag): a client's copy is never taken as current.
    expect(answered.status).toBe(200);
    expect(answered.headers.get('cache-control')).toBe('no-store');
    expect(answered.headers.get('etag')).toBeNull();
    expect(await answered.text()).toBe(JSON.stringify(result));
    expect(l.passedOn).toEqual([key]);
  });

  it('hand Yoga an answer with errors together with the request, for Yoga to write; none when the lead had no answer', async () => {
    const { l, flight } = await inFlight();
    const failed = l.post(BODY_IN_FLIGHT);
    await expect.poll(() => l.waiting.length, { timeout: 20_000 }).toBe(1);
    const withErrors = shared({ errors: [{ message: 'Unexpected error.' }], data: null });
    flight.settle(withErrors);
    expect(await (await failed).text()).toBe('from yoga');
    expect(l.handedOn).toEqual([undefined, withErrors]);

    const again = l.flights.lead(KEY, 0)!;
    const alone = l.post(BODY_IN_FLIGHT);
    await expect.poll(() => l.waiting.length, { timeout: 20_000 }).toBe(2);
    again.settle(null);
    expect(await (await alone).text()).toBe('from yoga');
    expect(l.handedOn).toEqual([undefined, withErrors, undefined]);
  });

  it('are not joined once a write came after the one in flight began', async () => {
    const { l, flight } = await inFlight();
    l.store.invalidate();
    expect(await (await l.post(BODY_IN_FLIGHT)).text()).toBe('from yoga');
    expect(l.waiting).toEqual([]);
    flight.settle(null);
  });
});

describe('the lane in front of the gateway', () => {
  const serve = useHttpGateways();
  const POSTS = '{ posts(first: 3) { edges { node { title } } } }';

  it('writes what Yoga writes for the same kept answer: the same bytes and the same headers', async () => {
    const { gateway, http } = await serve();
    const ada = await insertUser(gateway.database.db, { username: 'ada' });
    await insertPost(gateway.database.db, { authorId: ada, title: 'first' });
    const search = `${http.url}/graphql?query=${encodeURIComponent(POSTS)}`;
    await fetch(search);
    const statements = () => counterValue(gateway.metrics.dbQueries, { origin: 'request' });
    const before = await statements();
    // Yoga answers from the response cache an Accept the lane leaves to it; the lane the other.
    const throughYoga = await fetch(search, { headers: { accept: 'application/json, text/plain' } });
    const fromLane = await fetch(search, { headers: { accept: 'application/json' } });
    const laneAgain = await fetch(search, { headers: { accept: 'application/json' } });
    expect(await statements()).toBe(before);
    const names = (response: Response) => [...response.headers.keys()].filter((name) => !['date', 'connection', 'keep-alive'].includes(name)).sort();
    expect(names(laneAgain)).toEqual(names(throughYoga));
    expect(await laneAgain.text()).toBe(await throughYoga.text());
    for (const name of ['content-type', 'cache-control', 'etag', 'vary']) expect(laneAgain.headers.get(name)).toBe(throughYoga.headers.get(name));
    expect(fromLane.status).toBe(200);
  });

  it('never serves an answer from before a write, nor one a purge dropped', async () => {
    const { gateway, http } = await serve();
    const db = gateway.database.db;
    const ada = await insertUser(db, { username: 'ada' });
    const root = await insertUser(db, { username: 'root', role: 'ADMIN' });
    await insertPost(db, { authorId: ada, title: 'first' });
    const titles = async () => (await (await http.post(POSTS)).json()).data.posts.edges.map((edge: { node: { title: string } }) => edge.node.title);
    expect(await titles()).toEqual(['first']);
    expect(await titles()).toEqual(['first']);
    await insertPost(db, { authorId: ada, title: 'second' });
    expect(await titles()).toEqual(['second', 'first']);
    const statements = () => counterValue(gateway.metrics.dbQueries, { origin: 'request' });
    let before = await statements();
    await titles();
    expect(await statements()).toBe(before);
    const purged = await http.post('mutation { purgeCaches(input: { sources: [RESPONSES] }) { purged } }', {}, await as(root));
    expect((await purged.json()).data.purgeCaches.purged).toBe(1);
    before = await statements();
    await titles();
    expect(await statements()).toBeGreaterThan(before);
  });
});

describe('identical requests in flight, in front of the gateway', () => {
  let harness: WeatherHarness | undefined;
  let http: HttpGateway | undefined;
  afterEach(async () => {
    await http?.close();
    await harness?.close();
    harness = http = undefined;
  });

  /** A gateway over HTTP on the simulator, whose first geocoding call is held: requests that come meanwhile surely find it in flight. */
  async function heldOverHttp() {
    harness = await startWeatherHarness();
    http = await serveOverHttp(harness.gateway);
    harness.sim.setFaults([{ endpoint: 'geocoding', times: 1, fault: { kind: 'hold' } }]);
    const { gateway, sim } = harness;
    return { gateway, sim, url: `${http.url}/graphql`, joined: () => counterValue(gateway.metrics.cacheEvents, { cache: 'responses', event: 'joined' }) };
  }

  it('join the one being executed at the lane or in Yoga alike: one upstream call, the same bytes, the same headers, and no-store for a live value', async () => {
    const { gateway, sim, url: endpoint, joined } = await heldOverHttp();
    const url = `${endpoint}?query=${encodeURIComponent('{ weather(cities: ["Oslo"]) { __typename ... on CityWeather { city conditions } } }')}`;
    const lead = fetch(url);
    await expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(1);
    // The lane knows these bytes now (the lead's key); an Accept it does not take goes to Yoga.
    const atTheLane = fetch(url, { headers: { accept: 'application/json' } });
    const inYoga = fetch(url, { headers: { accept: 'application/json, text/plain' } });
    await expect.poll(joined, { timeout: 20_000 }).toBe(2);
    sim.release();
    const answers = await Promise.all([lead, atTheLane, inYoga]);
    const bodies = await Promise.all(answers.map((answer) => answer.text()));
    expect(JSON.parse(bodies[0]!).data.weather[0].city).toBe('Oslo');
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    const names = (response: Response) => [...response.headers.keys()].filter((name) => !['date', 'connection', 'keep-alive'].includes(name)).sort();
    expect(names(answers[1]!)).toEqual(names(answers[2]!));
    // The weather was fetched for the lead (LIVE): no HTTP cache may keep any of the three.
    for (const answer of answers) expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(sim.calls().geocoding).toBe(1);
    expect(await counterValue(gateway.metrics.cacheEvents, { cache: 'geocoding' })).toBe(1);
  });

  it('join it at the lane when its answer has errors too: Yoga writes that answer, and nothing executes again', async () => {
    const { gateway, sim, url, joined } = await heldOverHttp();
    // The weather waits for the held call; the page of posts fails at once (an argument out of range).
    const query = '{ weather(cities: ["Oslo"]) { __typename } posts(first: -1) { totalCount } }';
    const post = (accept: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query }) });
    const lead = post('application/json');
    await expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(1);
    const atTheLane = post('application/json');
    const inYoga = post('application/json, text/plain');
    await expect.poll(joined, { timeout: 20_000 }).toBe(2);
    sim.release();
    const answers = await Promise.all([lead, atTheLane, inYoga]);
    const bodies = await Promise.all(answers.map((answer) => answer.text()));
    expect(JSON.parse(bodies[0]!).errors).toHaveLength(1);
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    expect(answers.map((answer) => answer.status)).toEqual([answers[0]!.status, answers[0]!.status, answers[0]!.status]);
    // One execution: one look-up of the city, and no second one for the request that waited at the lane.
    expect(await counterValue(gateway.metrics.cacheEvents, { cache: 'geocoding' })).toBe(1);
    expect(sim.calls().geocoding).toBe(1);
  });
});
