import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { postgres } from './helpers/databases.js';
import { type Watch, watchSse, watchWs } from './helpers/live-clients.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { type ServerProcess, startServerProcess } from './helpers/server-process.js';
import { nginxAvailable, startNginx, type ThrowawayNginx } from './services/nginx.js';

// Live data across three gateway processes on one PostgreSQL and one Redis, behind nginx (as
// docs/deploy.md sets it up): events published on one instance reach subscribers of every
// other, SSE and WebSocket pass through nginx, a watched city costs one poll per refresh in
// all, and an instance that is stopped completes its streams.

if (!nginxAvailable() && process.env.CI) throw new Error('CI=true but nginx is missing: install the nginx-light package (.ci/run does)');
const ready = postgres.available && sharedRedis !== null && nginxAvailable();
if (!ready) console.warn('\n[gatherql] nginx, PostgreSQL or Redis missing: the live scale-out suite is SKIPPED\n');

const TTL_S = 4;
const POSTS = 'subscription { postPublished { title } }';
const WEATHER = 'subscription ($cities: [String!]!) { weatherUpdates(cities: $cities) { ... on CityWeather { city temperatureC } } }';
const SIGN_UP =
  'mutation ($u: String!) { signUp(input: { username: $u, email: "live@example.com", password: "long enough secret" }) { ... on AuthPayload { token } } }';
const CREATE = 'mutation ($t: String!) { createPost(input: { title: $t, content: "words", published: true }) { __typename } }';

describe.skipIf(!ready)('live data on three instances behind nginx, on one PostgreSQL and one Redis', () => {
  let databaseUrl: string;
  let sim: Simulator;
  let nginx: ThrowawayNginx;
  const instances: ServerProcess[] = [];
  const url = (index: number) => `${instances[index]!.url}/graphql`;
  let token: string;

  const post = async (target: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as any;
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  const publish = (index: number, title: string) => post(url(index), CREATE, { t: title }, { authorization: `Bearer ${token}` });
  /** A counter summed over the three instances, from their /metrics. */
  const total = async (metric: string, labels: string) => {
    let sum = 0;
    for (const instance of instances) {
      const text = await (await fetch(`${instance.url}/metrics`)).text();
      sum += Number(new RegExp(`^${metric}\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    }
    return sum;
  };

  beforeAll(async () => {
    databaseUrl = await postgres.createDatabase();
    const redisUrl = redisDatabase('live-scale-out');
    await emptyRedis(redisUrl);
    sim = await startSimulator();
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      AUTH_SECRET: TEST_AUTH_SECRET,
      OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
      OPEN_METEO_FORECAST_URL: sim.forecastUrl,
      OPEN_METEO_AIR_QUALITY_URL: sim.airQualityUrl,
      REST_COUNTRIES_URL: sim.countriesUrl,
      OPEN_METEO_QUOTA: 'off',
      RATE_LIMIT_PER_MINUTE: '0',
      WEATHER_CACHE_TTL_S: String(TTL_S),
      UPSTREAM_TIMEOUT_MS: '20000',
      REQUEST_DEADLINE_MS: '30000',
    };
    // One after another: the first applies the migrations the others then find done. Each on the
    // port the system gives it as it listens: a port found free beforehand may be taken by then.
    for (let index = 0; index < 3; index += 1) instances.push(await startServerProcess(env));
    nginx = await startNginx(instances.map((instance) => instance.port));
    token = (await post(url(0), SIGN_UP, { u: 'watcher' })).signUp.token;
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const instance of instances) await instance?.stop('SIGTERM');
    await sim?.close();
    if (databaseUrl) await postgres.dropDatabase(databaseUrl);
  });

  it('hands a post published through any instance to subscribers of every other, directly and through nginx, over SSE and WebSocket', async () => {
    const watchers: Watch[] = [
      await watchSse(url(0), POSTS),
      watchWs(url(2), POSTS),
      await watchSse(`${nginx.url}/graphql`, POSTS),
      watchWs(`${nginx.url}/graphql`, POSTS),
    ];
    // Open means heard by every instance: each subscription waited for Redis to confirm its channel.
    await expect.poll(() => total('gatherql_subscriptions_open', 'field="postPublished"'), { timeout: 20_000 }).toBe(4);
    for (const index of [1, 0, 2]) await publish(index, `through instance ${index}`);
    await expect.poll(() => watchers.map((watch) => watch.events.length), { timeout: 20_000 }).toEqual([3, 3, 3, 3]);
    for (const watch of watchers) {
      expect(watch.events.map((event) => event.data.postPublished.title)).toEqual(['through instance 1', 'through instance 0', 'through instance 2']);
    }
    for (const watch of watchers) await watch.close();
  });

  it("streams a report's progress from an instance other than the one it was started on", async () => {
    sim.setFaults([{ fault: { kind: 'hold' } }]);
    const started = await post(
      url(1),
      'mutation { startCityReport(input: { names: ["Berlin", "Paris", "Rome"], parts: [WEATHER] }) { ... on CityReport { id } } }',
      {},
      { authorization: `Bearer ${token}` },
    );
    const watch = watchWs(url(2), 'subscription ($id: ID!) { cityReportUpdated(id: $id) { state done total } }', {
      variables: { id: started.startCityReport.id },
      authorization: `Bearer ${token}`,
    });
    await expect.poll(() => watch.events.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    expect(['QUEUED', 'RUNNING']).toContain(watch.events[0]!.data.cityReportUpdated.state);
    sim.setFaults([]);
    await watch.ended;
    expect(watch.completed).toBe(true);
    expect(watch.events.at(-1)!.data.cityReportUpdated).toEqual({ state: 'SUCCEEDED', done: 3, total: 3 });
    await watch.close();
  });

  it('keeps a city watched on all three instances fresh with one forecast call per refresh in all, and hands a change to every watcher', async () => {
    sim.setWeather('Cairo', { temperature_2m: 30, time: '2026-07-01T12:00' });
    sim.resetCalls();
    const started = performance.now();
    const watchers = (await Promise.all(
      [0, 1, 2].flatMap((index) => Array.from({ length: 4 }, () => watchSse(url(index), WEATHER, { variables: { cities: ['Cairo'] } }))),
    )) as Watch[];
    await expect.poll(() => watchers.filter((watch) => watch.events.length === 1).length, { timeout: 30_000 }).toBe(12);
    const refreshes = () => total('gatherql_cache_events_total', 'cache="weather",event="refresh"');
    await expect.poll(refreshes, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    // Each forecast call is the first load or a refresh, by whichever instance held the key's lock.
    await expect.poll(async () => sim.calls().forecast - (await refreshes()), { timeout: 10_000 }).toBe(1);
    expect(await refreshes()).toBeLessThanOrEqual(Math.ceil((performance.now() - started) / 1000 / (TTL_S * 0.8)) + 1);
    expect(watchers.every((watch) => watch.events.length === 1)).toBe(true);
    sim.setWeather('Cairo', { temperature_2m: 31.5, time: '2026-07-01T12:15' });
    await expect.poll(() => watchers.filter((watch) => watch.events.length === 2).length, { timeout: 30_000 }).toBe(12);
    for (const watch of watchers) expect(watch.events[1]!.data.weatherUpdates).toEqual({ city: 'Cairo', temperatureC: 31.5 });
    // Published once, by the instance that fetched it; heard by all.
    expect(await total('gatherql_events_published_total', 'topic="weather-changed"')).toBe(1);
    for (const watch of watchers) await watch.close();
    sim.clearWeather();
  });

  it('completes the streams of an instance that is stopped (SIGTERM), and the client reconnects through nginx to another', async () => {
    const sse = await watchSse(url(2), POSTS);
    const ws = watchWs(url(2), POSTS);
    await expect.poll(() => total('gatherql_subscriptions_open', 'field="postPublished"'), { timeout: 20_000 }).toBe(2);
    expect(await instances[2]!.stop('SIGTERM')).toBe(0);
    await sse.ended;
    expect(sse.completed).toBe(true);
    expect(ws.completed).toBe(true);
    expect(ws.closeCode).toBe(1001);
    await ws.close();
    instances.pop();
    const again = await watchSse(`${nginx.url}/graphql`, POSTS);
    await expect.poll(() => total('gatherql_subscriptions_open', 'field="postPublished"'), { timeout: 20_000 }).toBe(1);
    await publish(0, 'after the restart');
    await expect.poll(() => again.events.length, { timeout: 20_000 }).toBe(1);
    await again.close();
  });
});
