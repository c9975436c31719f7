import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SUBSCRIBER_BUFFER } from '../events/bus.js';
import { counterValue } from '../metrics.js';
import { createCachePurge } from '../resolvers/cache-purge.js';
import type { CachesPurged } from '../resolvers/topics.js';
import { SIM_COUNTRIES } from '../simulator/countries.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { SHARED_DATASET_KEY } from '../sources/rest-countries/dataset-refresh.js';
import { PAGE_LIMIT } from '../sources/rest-countries/v5-client.js';
import { as } from './helpers/auth.js';
import { docBlocks } from './helpers/doc-blocks.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { captureLogs } from './helpers/log-capture.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { simulatorEnv, TEST_POLICY, WEATHER_QUERY } from './helpers/weather.js';

const PURGE = 'mutation ($input: PurgeCachesInput!) { purgeCaches(input: $input) { purged } }';
const CITIES = /* GraphQL */ `
  query ($names: [String!]!) {
    cities(names: $names) {
      __typename
      ... on City { weather { __typename } airQuality { __typename } country { __typename ... on Country { freshness { state } } } }
    }
  }
`;

/** REST Countries' calls for the whole dataset: its pages. */
const DATASET_PAGES = Math.ceil(SIM_COUNTRIES.length / PAGE_LIMIT);

/** Where each country of a `CITIES` answer came from (LIVE: REST Countries just now; BUNDLED: the dataset in the release). */
const countryStates = (body: { data?: any }) => body.data.cities.map((city: { country: { freshness: { state: string } } }) => city.country.freshness.state);

/** Every upstream's calls since the simulator started. */
const calls = (sim: Simulator) => {
  const { geocoding, forecast, airQuality, countries } = sim.calls();
  return { geocoding, forecast, airQuality, countries };
};

/** The upstream calls `work` made, by upstream. */
async function callsDuring(sim: Simulator, work: () => Promise<unknown>) {
  const before = calls(sim);
  await work();
  const after = calls(sim);
  return {
    geocoding: after.geocoding - before.geocoding,
    forecast: after.forecast - before.forecast,
    airQuality: after.airQuality - before.airQuality,
    countries: after.countries - before.countries,
  };
}

async function weather(gateway: TestGateway, cities: string[]) {
  const { body } = await gateway.query(WEATHER_QUERY, { cities });
  expect(body.errors).toBeUndefined();
  expect(body.data.weather.map((item: { __typename: string }) => item.__typename)).toEqual(cities.map(() => 'CityWeather'));
}

/** Entries dropped from `gateway` by purges, per cache. */
const purgedFrom = (gateway: TestGateway, cache: string) => counterValue(gateway.metrics.cachePurged, { cache });

describe('purgeCaches on one instance', () => {
  let sim: Simulator;
  let gateway: TestGateway;
  let admin: Record<string, string>;
  let user: Record<string, string>;
  const purge = async (input: Record<string, unknown>, headers = admin) => (await gateway.query(PURGE, { input }, headers)).body;

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    await gateway?.close();
  });

  async function start() {
    gateway = await startGateway(simulatorEnv(sim), { sources: { policy: TEST_POLICY } });
    admin = await as(await insertUser(gateway.database.db, { username: 'root', role: 'ADMIN' }));
    user = await as(await insertUser(gateway.database.db, { username: 'ada' }));
  }

  it('is for admins only: anyone else gets an error and nothing is purged', async () => {
    await start();
    await weather(gateway, ['Paris']);
    const sizes = gateway.sources.cacheSizes();
    const anonymous = await purge({}, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const signedIn = await purge({}, user);
    expect(signedIn.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(gateway.sources.cacheSizes()).toEqual(sizes);
    expect(await callsDuring(sim, () => weather(gateway, ['Paris']))).toEqual({ geocoding: 0, forecast: 0, airQuality: 0, countries: 0 });
  });

  it('purges one place: its geocoding and the weather at its coordinates; the next request makes exactly those calls again', async () => {
    await start();
    await weather(gateway, ['Paris', 'Berlin']);
    // Served again from the caches: this answer is kept, and the purge drops it too.
    await weather(gateway, ['Paris', 'Berlin']);
    expect(await purge({ places: [' PARIS '] })).toEqual({ data: { purgeCaches: { purged: 3 } } });
    expect(await purgedFrom(gateway, 'geocoding')).toBe(1);
    expect(await purgedFrom(gateway, 'weather')).toBe(1);
    expect(await purgedFrom(gateway, 'responses')).toBe(1);
    expect(await callsDuring(sim, () => weather(gateway, ['Paris', 'Berlin']))).toEqual({ geocoding: 1, forecast: 1, airQuality: 0, countries: 0 });
    expect(await callsDuring(sim, () => weather(gateway, ['Berlin']))).toEqual({ geocoding: 0, forecast: 0, airQuality: 0, countries: 0 });
  });

  it('runs the purge of docs/operations.md as written: the weather at Paris, and the kept answer; the next request makes one forecast call', async () => {
    const example = docBlocks('docs/operations.md').find((block) => block.lang === 'graphql' && block.code.includes('purgeCaches'));
    expect(example?.marker).toBe('run by test/cache-purge.test.ts');
    await start();
    await weather(gateway, ['Paris', 'Berlin']);
    await weather(gateway, ['Paris', 'Berlin']);
    expect((await gateway.query(example!.code, {}, admin)).body).toEqual({ data: { purgeCaches: { purged: 2 } } });
    expect(await callsDuring(sim, () => weather(gateway, ['Paris', 'Berlin']))).toEqual({ geocoding: 0, forecast: 1, airQuality: 0, countries: 0 });
  });

  it('purges one source: every entry of it, and only it', async () => {
    await start();
    await weather(gateway, ['Paris', 'Berlin']);
    expect(await purge({ sources: ['FORECAST'] })).toEqual({ data: { purgeCaches: { purged: 2 } } });
    expect(await callsDuring(sim, () => weather(gateway, ['Paris', 'Berlin']))).toEqual({ geocoding: 0, forecast: 1, airQuality: 0, countries: 0 });
  });

  it('purges a source for some places only', async () => {
    await start();
    await gateway.query(CITIES, { names: ['Paris', 'Berlin'] });
    expect(await purge({ sources: ['AIR_QUALITY', 'COUNTRIES'], places: ['Berlin'] })).toEqual({ data: { purgeCaches: { purged: 1 } } });
    const next = await callsDuring(sim, () => gateway.query(CITIES, { names: ['Paris', 'Berlin'] }));
    expect(next).toEqual({ geocoding: 0, forecast: 0, airQuality: 1, countries: 0 });
  });

  it('purges everything when told nothing: the next request calls every upstream again', async () => {
    await start();
    await gateway.query(CITIES, { names: ['Paris', 'Berlin', 'Lima'] });
    const sizes = gateway.sources.cacheSizes();
    // Three places, the weather and the air quality at each, and the whole countries dataset.
    expect(sizes).toEqual({ geocoding: 3, weather: 3, 'air-quality': 3, countries: SIM_COUNTRIES.length });
    const entries = Object.values(sizes).reduce((sum, size) => sum + size, 0);
    // No answer was kept: its values were LIVE.
    expect(await purge({})).toEqual({ data: { purgeCaches: { purged: entries } } });
    expect(Object.values(gateway.sources.cacheSizes())).toEqual([0, 0, 0, 0]);
    let body: Parameters<typeof countryStates>[0] | undefined;
    const next = await callsDuring(sim, async () => {
      body = (await gateway.query(CITIES, { names: ['Paris', 'Berlin', 'Lima'] })).body;
    });
    expect(next).toEqual({ geocoding: 3, forecast: 1, airQuality: 1, countries: DATASET_PAGES });
    expect(countryStates(body!)).toEqual(['LIVE', 'LIVE', 'LIVE']);
  });

  it('purges the countries dataset: the next look-up loads it again from REST Countries, not the bundled one', async () => {
    await start();
    await gateway.query(CITIES, { names: ['Paris', 'Lima'] });
    expect(await purge({ sources: ['COUNTRIES'] })).toEqual({ data: { purgeCaches: { purged: SIM_COUNTRIES.length } } });
    expect(await purgedFrom(gateway, 'countries')).toBe(SIM_COUNTRIES.length);
    expect(gateway.sources.cacheSizes()).toEqual({ geocoding: 2, weather: 2, 'air-quality': 2, countries: 0 });
    let body: Parameters<typeof countryStates>[0] | undefined;
    const next = await callsDuring(sim, async () => {
      body = (await gateway.query(CITIES, { names: ['Paris', 'Lima'] })).body;
    });
    expect(next).toEqual({ geocoding: 0, forecast: 0, airQuality: 0, countries: DATASET_PAGES });
    expect(countryStates(body!)).toEqual(['LIVE', 'LIVE']);
    expect(gateway.sources.countries.lastRefresh()).toMatchObject({ ok: true, result: 'loaded' });
  });

  it('purges kept answers alone (RESPONSES): the next identical query runs its SQL again', async () => {
    await start();
    const ada = await insertUser(gateway.database.db, { username: 'grace' });
    await insertPost(gateway.database.db, { authorId: ada, title: 'kept' });
    const posts = '{ posts(first: 5) { edges { node { title } } } }';
    await gateway.query(posts);
    const statements = () => counterValue(gateway.metrics.dbQueries, { origin: 'request' });
    let before = await statements();
    await gateway.query(posts);
    expect(await statements()).toBe(before);
    await weather(gateway, ['Paris']);
    const sizes = gateway.sources.cacheSizes();
    expect(await purge({ sources: ['RESPONSES'] })).toEqual({ data: { purgeCaches: { purged: 1 } } });
    expect(gateway.sources.cacheSizes()).toEqual(sizes);
    before = await statements();
    await gateway.query(posts);
    expect(await statements()).toBeGreaterThan(before);
  });

  it('refuses a name that could never be a place, or an empty list, and purges nothing', async () => {
    await start();
    await weather(gateway, ['Paris']);
    const sizes = gateway.sources.cacheSizes();
    for (const input of [{ places: ['Paris', '  '] }, { places: [] }, { sources: [] }, { places: ['x'.repeat(101)] }]) {
      const answer = await purge(input);
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.data).toBeNull();
    }
    expect((await purge({ places: ['Paris', '\u0000'] })).errors?.[0]?.message).toBe('places[1]: A city name must not contain control characters');
    expect(gateway.sources.cacheSizes()).toEqual(sizes);
    expect(await purgedFrom(gateway, 'geocoding')).toBe(0);
  });

  it('outrun by a burst of other instances’ purges, drops everything here, and goes on hearing the next ones', async () => {
    const logs = captureLogs('warn');
    gateway = await startGateway(simulatorEnv(sim), { logger: logs.logger, sources: { policy: TEST_POLICY } });
    await weather(gateway, ['Paris', 'Berlin']);
    // More purges at once than a subscriber may leave waiting, of a place nobody asked for: one
    // taken at once, a buffer's worth waiting behind it, and one more.
    const foreign = { origin: 'another instance', caches: ['geocoding'], places: ['nowhere'], coordinates: [] };
    for (let n = 0; n < SUBSCRIBER_BUFFER + 2; n += 1) gateway.events.publish('caches-purged', foreign);
    // What the missed purges named is unknown: every place goes, and the next request calls again.
    await expect.poll(() => gateway.sources.cacheSizes().geocoding, { timeout: 10_000 }).toBe(0);
    expect(logs.lines().map((line) => line.msg)).toContain('cache purge: missed purges of other instances: everything cached here is dropped');
    expect(await callsDuring(sim, () => weather(gateway, ['Paris', 'Berlin']))).toMatchObject({ geocoding: 2, forecast: 1 });
    // Listening again: a later purge of one place is heard, and only that place goes.
    gateway.events.publish('caches-purged', { ...foreign, places: ['paris'] });
    await expect.poll(() => gateway.sources.cacheSizes().geocoding, { timeout: 10_000 }).toBe(1);
    expect(await callsDuring(sim, () => weather(gateway, ['Berlin']))).toMatchObject({ geocoding: 0, forecast: 0 });
  });
});

// Two instances on one Redis: a purge through either is a purge of both and of the shared tier.
describe.skipIf(!sharedRedis)('purgeCaches across instances on Redis', () => {
  const redisUrl = sharedRedis ? redisDatabase('cache-purge') : '';
  let sim: Simulator;
  let one: TestGateway;
  let two: TestGateway;
  let admin: Record<string, string>;
  let redis: Redis;

  beforeAll(async () => {
    await emptyRedis(redisUrl);
    redis = new Redis(redisUrl);
    sim = await startSimulator();
    one = await startGateway({ ...simulatorEnv(sim), REDIS_URL: redisUrl }, { sources: { policy: TEST_POLICY } });
    two = await startGateway({ ...simulatorEnv(sim), REDIS_URL: redisUrl }, { sources: { policy: TEST_POLICY } });
    // Each instance has a database of its own here: the admin exists in the first.
    admin = await as(await insertUser(one.database.db, { username: 'root', role: 'ADMIN' }));
    // Pub/sub delivers only to subscribers: both instances listen before anything is purged.
    const channel = `gatherql:${new URL(redisUrl).pathname.slice(1)}:caches-purged`;
    await vi.waitFor(
      async () => {
        if (((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] !== 2) throw new Error('not both subscribed yet');
      },
      { timeout: 20_000, interval: 50 },
    );
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await sim?.close();
    redis?.disconnect();
  });

  it('drops the place on every instance and in the shared tier: the next request, on either, makes its calls once', async () => {
    await weather(one, ['Paris', 'Berlin']);
    await weather(two, ['Paris', 'Berlin']);
    expect(calls(sim)).toMatchObject({ geocoding: 2, forecast: 1 });
    const { body } = await one.query(PURGE, { input: { places: ['paris'] } }, admin);
    // Here and in the shared tier: Paris' geocoding and its weather, twice.
    expect(body).toEqual({ data: { purgeCaches: { purged: 4 } } });
    // The other instance hears of it on the bus.
    await expect.poll(() => purgedFrom(two, 'weather'), { timeout: 20_000 }).toBe(1);
    expect(await purgedFrom(two, 'geocoding')).toBe(1);
    expect(await callsDuring(sim, () => weather(two, ['Paris', 'Berlin']))).toEqual({ geocoding: 1, forecast: 1, airQuality: 0, countries: 0 });
    // What the second loaded again, the first reads from the shared tier.
    expect(await callsDuring(sim, () => weather(one, ['Paris', 'Berlin']))).toEqual({ geocoding: 0, forecast: 0, airQuality: 0, countries: 0 });
  });

  it('empties the shared tier of a source, its locks too, and leaves the other sources alone', async () => {
    await weather(one, ['Lima']);
    const keys = async (pattern: string) => (await redis.keys(pattern)).sort();
    await redis.set('gatherql:weather:somewhere:load:lock', '1', 'PX', 60_000);
    const geocodingKeys = await keys('gatherql:geocoding:*');
    expect(geocodingKeys.length).toBeGreaterThan(0);
    const { body } = await two.query(
      PURGE,
      { input: { sources: ['FORECAST'] } },
      await as(await insertUser(two.database.db, { username: 'root', role: 'ADMIN' })),
    );
    expect(body.errors).toBeUndefined();
    expect(await keys('gatherql:weather:*')).toEqual([]);
    expect(await keys('gatherql:geocoding:*')).toEqual(geocodingKeys);
    await expect.poll(() => purgedFrom(one, 'weather'), { timeout: 20_000 }).toBeGreaterThan(1);
    expect(await callsDuring(sim, () => weather(one, ['Lima', 'Paris', 'Berlin']))).toEqual({ geocoding: 0, forecast: 1, airQuality: 0, countries: 0 });
  });

  it('drops the countries dataset here, in the shared tier with its load lock, and on the other instance: one of them loads it again, once', async () => {
    const cities = async (gateway: TestGateway) => countryStates((await gateway.query(CITIES, { names: ['Paris'] })).body);
    await cities(one);
    await cities(two);
    expect(await redis.exists(SHARED_DATASET_KEY)).toBe(1);
    // The lock of a load another instance would be waiting for (as the tier names it).
    const lock = `${SHARED_DATASET_KEY}:load:lock`;
    await redis.set(lock, '1', 'PX', 60_000);
    const answersBefore = await purgedFrom(one, 'responses');
    const { body } = await one.query(PURGE, { input: { sources: ['COUNTRIES'] } }, admin);
    const answers = (await purgedFrom(one, 'responses')) - answersBefore;
    // Here (every country held), and the dataset in the shared tier, and the answers kept.
    expect(body).toEqual({ data: { purgeCaches: { purged: SIM_COUNTRIES.length + 1 + answers } } });
    expect(await redis.exists(SHARED_DATASET_KEY, lock)).toBe(0);
    await expect.poll(() => purgedFrom(two, 'countries'), { timeout: 20_000 }).toBe(SIM_COUNTRIES.length);
    let states: string[] = [];
    expect(
      await callsDuring(sim, async () => {
        states = await cities(two);
      }),
    ).toMatchObject({ countries: DATASET_PAGES });
    expect(states).toEqual(['LIVE']);
    // What the second loaded again, the first reads from the shared tier.
    expect(
      await callsDuring(sim, async () => {
        states = await cities(one);
      }),
    ).toMatchObject({ countries: 0 });
    expect(states).toEqual(['CACHED']);
    expect(one.sources.countries.lastRefresh()).toMatchObject({ ok: true, result: 'shared' });
  });
});

describe('a purge while Redis is unreachable', () => {
  it('drops what this instance holds and its answers, tells the others, then says UNAVAILABLE', async () => {
    const local = new Map([
      ['paris', 1],
      ['lima', 2],
    ]);
    const unreachable = () => Promise.reject(new Error('Connection is closed.'));
    const announced: CachesPurged[] = [];
    const cachePurge = createCachePurge({
      caches: {
        geocoding: {
          drop: (keys) => (keys ?? [...local.keys()]).filter((key) => local.delete(key)).length,
          purgeShared: unreachable,
        },
      },
      places: { peek: async () => undefined },
      dropAnswers: unreachable,
      announce: (purge) => announced.push(purge),
    });
    const purge = cachePurge.purge({ sources: ['GEOCODING', 'RESPONSES'], places: null });
    await expect(purge).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(purge).rejects.toThrow(/^Redis is unreachable: the shared cache tier was not purged/);
    expect(local.size).toBe(0);
    expect(announced).toEqual([{ origin: expect.any(String), caches: ['geocoding'], places: null, coordinates: [] }]);
  });
});
