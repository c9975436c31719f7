import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIBER_BUFFER } from '../events/bus.js';
import { counterValue } from '../metrics.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { as } from './helpers/auth.js';
import { type HttpGateway, useHttpGateway } from './helpers/http.js';
import type { TestGateway } from './helpers/gateway.js';
import { type Watch, watchSse, watchWs } from './helpers/live-clients.js';
import { simulatorEnv } from './helpers/weather.js';

// Live data over real HTTP and real WebSockets, on one gateway in this process (SQLite in
// memory, the simulator upstream): what each subscription sends, and what it costs upstream.

const WEATHER = /* GraphQL */ `
  subscription Weather($cities: [String!]!) {
    weatherUpdates(cities: $cities) {
      __typename
      ... on CityWeather { city temperatureC }
      ... on WeatherError { city code }
    }
  }
`;
const POSTS = 'subscription { postPublished { title published author { username } } }';
const REPORT = 'subscription ($id: ID!) { cityReportUpdated(id: $id) { state done total } }';
const TTL_S = 2;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim?.close());

const url = (live: { http: HttpGateway }) => `${live.http.url}/graphql`;

const userId = async (gateway: TestGateway, username: string) =>
  (await gateway.database.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;

describe('weatherUpdates: one upstream poll per time to live, whatever the number of watchers', () => {
  const live = useHttpGateway(() => ({ ...simulatorEnv(sim), WEATHER_CACHE_TTL_S: String(TTL_S), SUBSCRIPTIONS_PER_CLIENT: '100' }), { seed: true });
  const refreshes = () => counterValue(live.gateway.metrics.cacheEvents, { cache: 'weather', event: 'refresh' });

  it('gives 30 SSE and 30 WebSocket watchers of Rome its weather at once, then only what changes, for one geocoding call and one forecast call per refresh', async () => {
    // The observation time is pinned too: the simulator's own moves every 15 minutes.
    sim.setWeather('Rome', { temperature_2m: 20, time: '2026-07-01T12:00' });
    sim.resetCalls();
    const started = performance.now();
    const watchers: Watch[] = [
      ...(await Promise.all(Array.from({ length: 30 }, () => watchSse(url(live), WEATHER, { variables: { cities: ['Rome'] } })))),
      ...Array.from({ length: 30 }, () => watchWs(url(live), WEATHER, { variables: { cities: ['rome'] } })),
    ];
    await expect.poll(() => watchers.filter((watch) => watch.events.length === 1).length, { timeout: 30_000 }).toBe(60);
    for (const [index, watch] of watchers.entries()) {
      expect(watch.events[0]).toEqual({ data: { weatherUpdates: { __typename: 'CityWeather', city: index < 30 ? 'Rome' : 'rome', temperatureC: 20 } } });
    }
    expect(await counterValue(live.gateway.metrics.subscriptionsOpen, { field: 'weatherUpdates' })).toBe(60);

    // Ten seconds at a TTL of 2 s: the place is refreshed about every 1.6 s (the last fifth of its TTL).
    await expect.poll(refreshes, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(6);
    // Every forecast call is the first load or a refresh: none is a watcher's.
    await expect.poll(async () => sim.calls().forecast - (await refreshes()), { timeout: 10_000 }).toBe(1);
    const elapsedS = (performance.now() - started) / 1000;
    expect(await refreshes()).toBeLessThanOrEqual(Math.ceil(elapsedS / (TTL_S * 0.8)) + 1);
    expect(sim.calls().geocoding).toBe(1);
    // Unchanged values reached no one, and were not even published.
    expect(watchers.every((watch) => watch.events.length === 1)).toBe(true);
    expect(await counterValue(live.gateway.metrics.eventsPublished, { topic: 'weather-changed' })).toBe(0);

    sim.setWeather('Rome', { temperature_2m: 23.5, time: '2026-07-01T12:15' });
    const callsAtChange = sim.calls().forecast;
    let callsUntilAll = Number.POSITIVE_INFINITY;
    await expect
      .poll(
        () => {
          const all = watchers.every((watch) => watch.events.length === 2);
          if (all) callsUntilAll = Math.min(callsUntilAll, sim.calls().forecast - callsAtChange);
          return all;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBe(true);
    // Within two times to live: at most two refreshes after the change.
    expect(callsUntilAll).toBeLessThanOrEqual(2);
    for (const watch of watchers) expect(watch.events[1]?.data.weatherUpdates.temperatureC).toBe(23.5);
    expect(await counterValue(live.gateway.metrics.eventsPublished, { topic: 'weather-changed' })).toBe(1);
    expect(await counterValue(live.gateway.metrics.eventsDelivered, { field: 'weatherUpdates' })).toBe(120);

    await Promise.all(watchers.map((watch) => watch.close()));
    await expect.poll(() => counterValue(live.gateway.metrics.subscriptionsOpen, { field: 'weatherUpdates' }), { timeout: 10_000 }).toBe(0);
    // The last watcher left: Rome is no longer kept fresh.
    expect(live.gateway.sources.weather.keptKeys).toBe(0);
    expect(await counterValue(live.gateway.metrics.watchedPlaces)).toBe(0);
    sim.clearWeather();
  });

  it('answers a city that cannot be placed with a WeatherError at once, beside the others', async () => {
    const watch = watchWs(url(live), WEATHER, { variables: { cities: ['Atlantis', 'Oslo'] } });
    await expect.poll(() => watch.events.length, { timeout: 20_000 }).toBe(2);
    const results = watch.events.map((event) => event.data.weatherUpdates);
    expect(results).toContainEqual({ __typename: 'WeatherError', city: 'Atlantis', code: 'CITY_NOT_FOUND' });
    expect(results.find((result) => result.city === 'Oslo')?.__typename).toBe('CityWeather');
    await watch.close();
  });
});

describe('weatherUpdates of many cities', () => {
  let synthetic: Simulator;
  beforeAll(async () => {
    synthetic = await startSimulator({ syntheticNames: true });
  });
  afterAll(() => synthetic?.close());
  const CITIES = 150;
  const live = useHttpGateway(() => ({ ...simulatorEnv(synthetic), WEATHER_MAX_CITIES: String(CITIES) }));

  it(`gives a first answer of WEATHER_MAX_CITIES (${CITIES}) cached cities at once, past the ${SUBSCRIBER_BUFFER} events a subscriber may leave waiting`, async () => {
    const cities = Array.from({ length: CITIES }, (_, index) => `Sim ${5000 + index}`);
    const warmed = await live.gateway.query('query ($cities: [String!]!) { weather(cities: $cities) { __typename } }', { cities });
    expect(new Set(warmed.body.data.weather.map((item: { __typename: string }) => item.__typename))).toEqual(new Set(['CityWeather']));
    // Every value is cached: the whole first answer is ready in one turn.
    const watch = await watchSse(url(live), WEATHER, { variables: { cities } });
    await expect.poll(() => watch.events.length, { timeout: 20_000 }).toBe(CITIES);
    expect(new Set(watch.events.map((event) => event.data?.weatherUpdates?.__typename))).toEqual(new Set(['CityWeather']));
    expect(new Set(watch.events.map((event) => event.data.weatherUpdates.city))).toEqual(new Set(cities));
    await watch.close();
  });
});

describe('postPublished', () => {
  const live = useHttpGateway(() => simulatorEnv(sim), { seed: true });
  const write = async (query: string, variables: Record<string, unknown>, user: number) => {
    const answer = await live.gateway.query(query, variables, await as(user));
    expect(answer.body.errors).toBeUndefined();
    return answer.body.data;
  };
  const CREATE =
    'mutation ($t: String!, $p: Boolean!) { createPost(input: { title: $t, content: "words", published: $p }) { ... on PostPayload { post { id } } } }';
  const UPDATE = 'mutation ($id: ID!, $input: UpdatePostInput!) { updatePost(id: $id, input: $input) { __typename } }';

  it('tells anonymous SSE and WebSocket subscribers of each post that becomes published, and never of a draft or an edit', async () => {
    const ada = await userId(live.gateway, 'ada');
    const watchers = [await watchSse(url(live), POSTS), watchWs(url(live), POSTS)];
    await expect.poll(() => counterValue(live.gateway.metrics.subscriptionsOpen, { field: 'postPublished' }), { timeout: 10_000 }).toBe(2);
    const draft = (await write(CREATE, { t: 'a draft', p: false }, ada)).createPost.post.id;
    const published = (await write(CREATE, { t: 'published at once', p: true }, ada)).createPost.post.id;
    await write(UPDATE, { id: draft, input: { title: 'a draft, now published', published: true } }, ada);
    await write(UPDATE, { id: published, input: { title: 'published, then edited' } }, ada);
    await write(CREATE, { t: 'the last one', p: true }, ada);
    await expect.poll(() => watchers.map((watch) => watch.events.length), { timeout: 10_000 }).toEqual([3, 3]);
    for (const watch of watchers) {
      expect(watch.events.map((event) => event.data.postPublished)).toEqual([
        { title: 'published at once', published: true, author: { username: 'ada' } },
        { title: 'a draft, now published', published: true, author: { username: 'ada' } },
        { title: 'the last one', published: true, author: { username: 'ada' } },
      ]);
    }
    expect(await counterValue(live.gateway.metrics.eventsPublished, { topic: 'post-published' })).toBe(3);
    await Promise.all(watchers.map((watch) => watch.close()));
  });

  it("reads each event's data afresh: an author renamed between two posts is seen renamed", async () => {
    const grace = await userId(live.gateway, 'grace');
    const watch = watchWs(url(live), 'subscription { postPublished { author { displayName postCount } } }');
    await expect.poll(() => counterValue(live.gateway.metrics.subscriptionsOpen, { field: 'postPublished' }), { timeout: 10_000 }).toBe(1);
    const before = await live.gateway.query('{ userByUsername(username: "grace") { postCount } }');
    const count = before.body.data.userByUsername.postCount as number;
    await write(CREATE, { t: 'one', p: true }, grace);
    await write('mutation { updateProfile(input: { displayName: "Rear Admiral Hopper" }) { __typename } }', {}, grace);
    await write(CREATE, { t: 'two', p: true }, grace);
    await expect.poll(() => watch.events.length, { timeout: 10_000 }).toBe(2);
    expect(watch.events.map((event) => event.data.postPublished.author)).toEqual([
      { displayName: 'Grace Hopper', postCount: count + 1 },
      { displayName: 'Rear Admiral Hopper', postCount: count + 2 },
    ]);
    await watch.close();
  });
});

describe('cityReportUpdated', () => {
  const live = useHttpGateway(() => simulatorEnv(sim), { seed: true, jobs: { reportChunkSize: 2 } });
  const START = 'mutation ($names: [String!]!) { startCityReport(input: { names: $names, parts: [WEATHER] }) { ... on CityReport { id } } }';

  it('streams its owner the report as it is, then each change, its final state last, then ends', async () => {
    const ada = await userId(live.gateway, 'ada');
    // Held upstream: the report cannot finish before the subscription is open.
    sim.setFaults([{ fault: { kind: 'hold' } }]);
    const started = await live.gateway.query(START, { names: ['Berlin', 'Paris', 'Madrid', 'Lisbon', 'Vienna', 'Prague'] }, await as(ada));
    const id = started.body.data.startCityReport.id as string;
    const watch = watchWs(url(live), REPORT, { variables: { id }, authorization: (await as(ada)).authorization });
    await expect.poll(() => watch.events.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(['QUEUED', 'RUNNING']).toContain(watch.events[0]!.data.cityReportUpdated.state);
    sim.setFaults([]);
    await watch.ended;
    expect(watch.completed).toBe(true);
    const states = watch.events.map((event) => event.data.cityReportUpdated);
    expect(states.at(-1)).toEqual({ state: 'SUCCEEDED', done: 6, total: 6 });
    // Progress in between, never backwards.
    expect(states.some((report) => report.done > 0 && report.done < 6)).toBe(true);
    for (let index = 1; index < states.length; index += 1) expect(states[index].done).toBeGreaterThanOrEqual(states[index - 1].done);
    // A finished report: its final state, and the stream ends.
    const again = await watchSse(url(live), REPORT, { variables: { id }, authorization: (await as(ada)).authorization });
    await again.ended;
    expect(again.completed).toBe(true);
    expect(again.events.map((event) => event.data.cityReportUpdated)).toEqual([{ state: 'SUCCEEDED', done: 6, total: 6 }]);
  });

  it("refuses another user's report and an anonymous subscriber; an admin may watch any", async () => {
    const [ada, grace, margaret] = (await Promise.all(['ada', 'grace', 'margaret'].map((name) => userId(live.gateway, name)))) as [number, number, number];
    await live.gateway.database.db.updateTable('users').set({ role: 'ADMIN' }).where('id', '=', margaret).execute();
    const id = (await live.gateway.query(START, { names: ['Oslo'] }, await as(ada))).body.data.startCityReport.id as string;
    const other = watchWs(url(live), REPORT, { variables: { id }, authorization: (await as(grace)).authorization });
    await other.ended;
    expect(other.completed).toBe(true);
    expect(other.events).toEqual([{ errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] }]);
    const anonymous = await watchSse(url(live), REPORT, { variables: { id } });
    await anonymous.ended;
    expect(anonymous.events[0]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.events[0]?.data ?? null).toBeNull();
    const admin = watchWs(url(live), REPORT, { variables: { id }, authorization: (await as(margaret)).authorization });
    await admin.ended;
    expect(admin.completed).toBe(true);
    expect(admin.events.at(-1)?.data.cityReportUpdated.state).toBe('SUCCEEDED');
  });
});
