import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { SIM_CITIES } from '../simulator/cities.js';
import { REVOKED_API_KEY, SIM_API_KEY } from '../simulator/countries-keys.js';
import { SIM_COUNTRIES } from '../simulator/countries.js';
import type { FaultRule } from '../simulator/faults.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { BUNDLED_DATASET } from '../sources/rest-countries/bundled.js';
import { COUNTRY_REFRESH } from '../sources/rest-countries/dataset-refresh.js';
import { PAGE_LIMIT } from '../sources/rest-countries/v5-client.js';
import { dialects } from './helpers/databases.js';
import { useDatabase } from './helpers/db-suite.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { captureLogs } from './helpers/log-capture.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { simulatorEnv, startWeatherHarness, TEST_POLICY, type WeatherHarness } from './helpers/weather.js';

const COUNTRIES_OF = /* GraphQL */ `
  query ($names: [String!]!) {
    cities(names: $names) {
      __typename
      ... on City {
        name
        country {
          __typename
          ... on Country { isoCode: code name capitals currencies { code name symbol } languages flag population freshness { state fetchedAt ttlSeconds } }
          ... on UpstreamError { source code message retryAfterSeconds }
        }
      }
      ... on CityError { code message }
    }
  }
`;

/** Twenty towns in five countries. */
const FIVE_COUNTRIES = ['US', 'DE', 'FR', 'JP', 'BR'];
const TOWNS = SIM_CITIES.filter((city) => FIVE_COUNTRIES.includes(city.countryCode)).map((city) => city.name);

const DAY_MS = 86_400_000;
/** The whole dataset: about 250 countries in pages of 100. */
const PAGES = Math.ceil(SIM_COUNTRIES.length / PAGE_LIMIT);

/** A wall clock that moves only when told to: a simulated day passes in no time. */
function testClock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe.each(dialects)('country facts on $name', (dialect) => {
  const database = useDatabase(dialect);
  let harness: WeatherHarness | undefined;
  let clock = testClock();
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  const start = async (env: Record<string, string> = {}, logger?: ReturnType<typeof captureLogs>['logger']) => {
    clock = testClock();
    harness = await startWeatherHarness({ DATABASE_URL: database.url, ...env }, { now: clock.now }, logger ? { logger } : {});
    return harness;
  };
  const countriesOf = async (names: string[], gateway: TestGateway = harness!.gateway) => {
    const response = await gateway.query(COUNTRIES_OF, { names });
    expect(response.body.errors).toBeUndefined();
    return (response.body.data.cities as { country: Record<string, any> }[]).map((city) => city.country);
  };
  const countriesCalls = () => harness!.sim.calls().countries;

  it.skipIf(!dialect.available)(
    `a cold gateway with a key answers ${TOWNS.length} towns in ${FIVE_COUNTRIES.length} countries, then 200 requests over a simulated day, with ${PAGES} calls to REST Countries`,
    async () => {
      expect(TOWNS).toHaveLength(20);
      await start();
      const first = await countriesOf(TOWNS);
      expect(first.map((country) => country.__typename)).toEqual(TOWNS.map(() => 'Country'));
      expect(new Set(first.map((country) => country.isoCode))).toEqual(new Set(FIVE_COUNTRIES));
      // Every look-up waited for the one load: each got what it fetched.
      expect(new Set(first.map((country) => country.freshness.state))).toEqual(new Set(['LIVE']));
      expect(harness!.sim.calls()).toMatchObject({ countries: PAGES, countriesOffsets: [0, PAGE_LIMIT, 2 * PAGE_LIMIT], countriesUnauthorized: 0 });

      // A day, less a second: still within COUNTRY_CACHE_TTL_S (86400 by default) of the load.
      const step = Math.floor((DAY_MS - 1000) / 200);
      const states = new Set<string>();
      for (let request = 0; request < 200; request += 1) {
        clock.advance(step);
        const [country] = await countriesOf([TOWNS[request % TOWNS.length]!]);
        states.add(country!.freshness.state);
      }
      expect([...states]).toEqual(['CACHED']);
      expect(countriesCalls()).toBe(PAGES);
    },
  );

  it.skipIf(!dialect.available)('past COUNTRY_CACHE_TTL_S: STALE at once while one refresh loads the dataset again, then CACHED', async () => {
    await start();
    const [loaded] = await countriesOf(['Berlin']);
    clock.advance(DAY_MS + 1);
    const stale = await countriesOf(['Berlin', 'Paris', 'Tokyo']);
    expect(stale.map((country) => [country.freshness.state, country.freshness.fetchedAt])).toEqual(stale.map(() => ['STALE', loaded!.freshness.fetchedAt]));
    // One refresh for all three look-ups, in the background.
    await expect.poll(() => harness!.gateway.sources.countries.lastRefresh()?.at, { timeout: 30_000 }).toBe(clock.now());
    expect(harness!.gateway.sources.countries.lastRefresh()).toMatchObject({ ok: true, result: 'loaded', countries: SIM_COUNTRIES.length });
    expect(countriesCalls()).toBe(2 * PAGES);
    const [again] = await countriesOf(['Berlin']);
    expect(again!.freshness).toEqual({ state: 'CACHED', fetchedAt: new Date(clock.now()).toISOString(), ttlSeconds: 86_400 });
    expect(countriesCalls()).toBe(2 * PAGES);
  });

  it.skipIf(!dialect.available)('no key: REST Countries is never called, and every country is BUNDLED from world-countries', async () => {
    await start({ REST_COUNTRIES_API_KEY: '' });
    expect(harness!.gateway.sources.countries.mode).toBe('bundled');
    const answered = await countriesOf([...TOWNS, 'Lima', 'Cairo', 'Sydney']);
    expect(answered.map((country) => country.freshness)).toEqual(
      answered.map(() => ({ state: 'BUNDLED', fetchedAt: new Date(BUNDLED_DATASET.publishedAt).toISOString(), ttlSeconds: 0 })),
    );
    expect(answered.every((country) => country.population === null)).toBe(true);
    expect(answered[TOWNS.indexOf('Berlin')]).toMatchObject({
      isoCode: 'DE',
      name: 'Germany',
      capitals: ['Berlin'],
      currencies: [{ code: 'EUR', name: 'Euro', symbol: '€' }],
      languages: ['German'],
      flag: '🇩🇪',
    });
    expect(countriesCalls()).toBe(0);
  });

  describe.each([
    ['a refused key', { endpoint: 'countries', fault: { kind: 'status', status: 401 } }, 'key_refused', 1],
    ['a 5xx (tried and retried)', { endpoint: 'countries', fault: { kind: 'status', status: 503 } }, 'failed', 3],
    ['a garbled second page', { endpoint: 'countries', country: SIM_COUNTRIES[PAGE_LIMIT + 1]!.codes.alpha_2, fault: { kind: 'malformed-json' } }, 'failed', 2],
  ] as [string, FaultRule, string, number][])('%s during a refresh', (_, fault, result, calls) => {
    it.skipIf(!dialect.available)(`the previous dataset keeps answering, STALE, and the next refresh recovers`, async () => {
      await start();
      const [loaded] = await countriesOf(['Lima']);
      clock.advance(DAY_MS + 1);
      harness!.sim.setFaults([fault]);
      const failed = await harness!.gateway.sources.countries.refresh();
      expect(failed).toMatchObject({ ok: false, result, countries: SIM_COUNTRIES.length, fetchedAt: Date.parse(loaded!.freshness.fetchedAt) });
      expect(countriesCalls()).toBe(PAGES + calls);
      const [stale] = await countriesOf(['Lima']);
      expect(stale).toMatchObject({ __typename: 'Country', isoCode: 'PE', freshness: { state: 'STALE', fetchedAt: loaded!.freshness.fetchedAt } });

      harness!.sim.resetFaults();
      expect(await harness!.gateway.sources.countries.refresh()).toMatchObject({ ok: true, result: 'loaded', fetchedAt: clock.now() });
      const [recovered] = await countriesOf(['Lima']);
      expect(recovered!.freshness).toMatchObject({ state: 'CACHED', fetchedAt: new Date(clock.now()).toISOString() });
      expect(countriesCalls()).toBe(2 * PAGES + calls);
    });
  });

  it.skipIf(!dialect.available)(
    'a refused key on a cold gateway: the bundled dataset stands in, one warning, a metric, and the gateway stays healthy',
    async () => {
      const logs = captureLogs('info');
      await start({ REST_COUNTRIES_API_KEY: REVOKED_API_KEY }, logs.logger);
      const first = await countriesOf(['Berlin', 'Tokyo']);
      expect(first.map((country) => [country.isoCode, country.freshness.state])).toEqual([
        ['DE', 'BUNDLED'],
        ['JP', 'BUNDLED'],
      ]);
      expect(harness!.sim.calls()).toMatchObject({ countries: 1, countriesUnauthorized: 1 });
      // Within the hour nothing is asked again; after it, one look-up starts one more refresh.
      expect((await countriesOf(['Paris']))[0]!.freshness.state).toBe('BUNDLED');
      expect(countriesCalls()).toBe(1);
      clock.advance(COUNTRY_REFRESH.revalidateEveryMs);
      expect((await countriesOf(['Paris', 'Lima']))[0]!.freshness.state).toBe('BUNDLED');
      await expect.poll(() => harness!.gateway.sources.countries.lastRefresh()?.at, { timeout: 30_000 }).toBe(clock.now());
      expect(countriesCalls()).toBe(2);

      const warnings = logs.lines().filter((line) => line.level === 40);
      expect(warnings).toEqual([
        expect.objectContaining({
          result: 'key_refused',
          msg: expect.stringMatching(/^REST Countries refused REST_COUNTRIES_API_KEY \(HTTP 401\): set a valid v5 key/),
        }),
      ]);
      expect(logs.text()).not.toContain(REVOKED_API_KEY);
      expect(await counterValue(harness!.gateway.metrics.countryRefreshes, { result: 'key_refused' })).toBe(2);
      expect((await harness!.gateway.yoga.fetch('http://gatherql.test/health')).status).toBe(200);
    },
  );
});

describe('country facts that nothing can stand in for', () => {
  let sim: Simulator | undefined;
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    await sim?.close();
  });

  it('a frozen quota (403) on a cold gateway: the bundled dataset stands in where it can, QUOTA_EXHAUSTED where it cannot', async () => {
    // "Sim <n>" places are in the simulator's made-up country XS, which the bundled dataset does not know.
    sim = await startSimulator({ syntheticNames: true, faults: [{ endpoint: 'countries', fault: { kind: 'status', status: 403 } }] });
    gateway = await startGateway(simulatorEnv(sim), { sources: { policy: TEST_POLICY } });
    const response = await gateway.query(COUNTRIES_OF, { names: ['Sim 1', 'Berlin'] });
    const [simland, berlin] = response.body.data.cities.map((city: { country: unknown }) => city.country);
    expect(simland).toEqual({
      __typename: 'UpstreamError',
      source: 'countries',
      code: 'QUOTA_EXHAUSTED',
      message: "The countries service refused the call: the account's quota is spent (HTTP 403)",
      retryAfterSeconds: null,
    });
    expect(berlin).toMatchObject({ __typename: 'Country', isoCode: 'DE', freshness: { state: 'BUNDLED' } });
    // A refusal is not retried.
    expect(sim.calls().countries).toBe(1);
  });
});

describe('three gateways on one Redis', () => {
  let sim: Simulator | undefined;
  const gateways: TestGateway[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
    await sim?.close();
  });

  it.skipIf(!sharedRedis)('load the countries dataset once between them, cold and at the same time', async () => {
    const redis = redisDatabase('country-dataset');
    await emptyRedis(redis);
    sim = await startSimulator({ faults: [{ endpoint: 'countries', fault: { kind: 'hold' } }] });
    for (let instance = 0; instance < 3; instance += 1) {
      gateways.push(await startGateway({ ...simulatorEnv(sim), REDIS_URL: redis, REST_COUNTRIES_API_KEY: SIM_API_KEY }, { sources: { policy: TEST_POLICY } }));
    }
    const answers = gateways.map((gateway, index) => gateway.query(COUNTRIES_OF, { names: [TOWNS[index]!, TOWNS[index + 10]!] }));
    // One instance's first page is under way; the others wait for what it writes to Redis.
    await expect.poll(() => sim!.held(), { timeout: 30_000 }).toBe(1);
    sim.release();
    const countries = (await Promise.all(answers)).flatMap((response) => response.body.data.cities.map((city: { country: any }) => city.country));
    expect(countries.map((country) => country.__typename)).toEqual(countries.map(() => 'Country'));
    expect(sim.calls()).toMatchObject({ countries: PAGES, countriesOffsets: [0, PAGE_LIMIT, 2 * PAGE_LIMIT] });
    expect(gateways.map((gateway) => gateway.sources.countries.lastRefresh()?.result).sort()).toEqual(['loaded', 'shared', 'shared']);
  });
});
