// What a new user meets on a first run: the start-up line that says where data comes from,
// the README's first query answered in full whatever REST Countries does today, and a hint
// when there is no network at all.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SIM_API_KEY } from '../simulator/countries-keys.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { BUNDLED_DATASET } from '../sources/rest-countries/bundled.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { captureLogs } from './helpers/log-capture.js';
import { README_FIRST_QUERY as README_QUERY } from './helpers/readme.js';
import { simulatorEnv, TEST_POLICY } from './helpers/weather.js';

/** A port on which nothing listens: calls to it are refused, as with no network. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as { port: number };
  await new Promise<void>((closed) => server.close(() => closed()));
  return port;
}

let sim: Simulator | undefined;
let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  await sim?.close();
  gateway = undefined;
  sim = undefined;
});

const run = async (env: Record<string, string>) => {
  const logs = captureLogs('info');
  gateway = await startGateway(env, { logger: logs.logger, sources: { policy: TEST_POLICY } });
  const response = await gateway.query(README_QUERY);
  return { logs, response };
};

describe("the README's first query against a simulator that behaves like today's internet", () => {
  it.each([
    ['REST Countries v5 with a key', (url: string) => ({ REST_COUNTRIES_URL: url, REST_COUNTRIES_API_KEY: SIM_API_KEY }), 3, null],
    [
      'a key, and REST_COUNTRIES_URL at the retired v3.1',
      (url: string) => ({ REST_COUNTRIES_URL: `${url}/v3.1`, REST_COUNTRIES_API_KEY: SIM_API_KEY }),
      1,
      /^REST_COUNTRIES_URL points at a retired REST Countries version/,
    ],
    [
      'the demo key',
      (url: string) => ({ REST_COUNTRIES_URL: url, REST_COUNTRIES_API_KEY: DEMO_API_KEY }),
      1,
      /^REST_COUNTRIES_API_KEY is the demo key, which answers a sample instead of the dataset/,
    ],
    ['no key', (url: string) => ({ REST_COUNTRIES_URL: url, REST_COUNTRIES_API_KEY: '' }), 0, null],
  ] as [string, (url: string) => Record<string, string>, number, RegExp | null][])('%s: every part answers', async (_, countries, calls, warning) => {
    sim = await startSimulator();
    const { logs, response } = await run({ ...simulatorEnv(sim), ...countries(sim.countriesUrl) });
    expect(response.body.errors).toBeUndefined();
    const [berlin, paris, atlantis] = response.body.data.cities;
    for (const [city, name] of [
      [berlin, 'Berlin'],
      [paris, 'Paris'],
    ]) {
      expect(city).toMatchObject({
        __typename: 'City',
        location: { name },
        weather: { temperatureC: expect.any(Number) },
        airQuality: { usAqi: expect.any(Number) },
      });
      // A Country, not an UpstreamError (which would carry a source and a code).
      expect(city.country).toEqual({ name: expect.any(String), capitals: expect.any(Array), flag: expect.any(String) });
    }
    expect([berlin.country.name, berlin.country.capitals, berlin.country.flag]).toEqual(['Germany', ['Berlin'], '🇩🇪']);
    expect(atlantis).toMatchObject({ __typename: 'CityError', code: 'CITY_NOT_FOUND' });
    expect(sim.calls().countries).toBe(calls);
    const warnings = logs.lines().filter((line) => line.level >= 40);
    expect(warnings.map((line) => line.msg)).toEqual(warning ? [expect.stringMatching(warning)] : []);
  });
});

describe('the start-up line', () => {
  it('names each upstream’s base URL, credentials hidden, and whether country facts are live or bundled', async () => {
    sim = await startSimulator();
    const secret = new URL(sim.countriesUrl);
    secret.username = 'mirror';
    secret.password = 'hunter2';
    const { logs } = await run({ ...simulatorEnv(sim), REST_COUNTRIES_URL: secret.toString(), REST_COUNTRIES_API_KEY: SIM_API_KEY });
    const lines = logs.lines().filter((line) => line.msg.startsWith('upstreams:'));
    expect(lines).toHaveLength(1);
    const shown = secret.toString().replace('mirror:hunter2', 'REDACTED:REDACTED').replace(/\/$/, '');
    expect(lines[0]).toMatchObject({
      level: 30,
      countryFacts: 'live',
      upstreams: { geocoding: sim.geocodingUrl, forecast: sim.forecastUrl, airQuality: sim.airQualityUrl, countries: shown },
      msg: `upstreams: geocoding ${sim.geocodingUrl}, forecast ${sim.forecastUrl}, air quality ${sim.airQualityUrl}; country facts live from REST Countries v5 at ${shown}`,
    });
    expect(logs.text()).not.toContain('hunter2');
    expect(logs.text()).not.toContain(SIM_API_KEY);
    await gateway!.close();

    const bundled = await run({ ...simulatorEnv(sim), REST_COUNTRIES_API_KEY: '' });
    const line = bundled.logs.lines().find((entry) => entry.msg.startsWith('upstreams:'));
    expect(line).toMatchObject({
      countryFacts: 'bundled',
      msg: expect.stringMatching(
        new RegExp(`; country facts bundled \\(${BUNDLED_DATASET.package} ${BUNDLED_DATASET.version}; set REST_COUNTRIES_API_KEY for REST Countries v5\\)$`),
      ),
    });
  });
});

describe('with no network', () => {
  const hints = (logs: ReturnType<typeof captureLogs>) => logs.lines().filter((line) => line.msg.includes('npm run dev:sim'));

  it('says once, when the first upstream call is refused, that `npm run dev:sim` runs offline', async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const env = { OPEN_METEO_GEOCODING_URL: nowhere, OPEN_METEO_FORECAST_URL: nowhere, OPEN_METEO_AIR_QUALITY_URL: nowhere, REST_COUNTRIES_URL: nowhere };
    const { logs, response } = await run({
      ...env,
      OPEN_METEO_QUOTA: 'off',
      UPSTREAM_TIMEOUT_MS: '10000',
      REQUEST_DEADLINE_MS: '60000',
      SOCKET_TIMEOUT_S: '120',
    });
    expect(response.body.data.cities[0]).toMatchObject({ __typename: 'CityError', code: 'UPSTREAM_UNAVAILABLE' });
    await gateway!.query(README_QUERY);
    expect(hints(logs)).toEqual([
      expect.objectContaining({
        level: 40,
        code: 'ECONNREFUSED',
        msg: expect.stringMatching(/^the first upstream call failed for want of a network \(ECONNREFUSED\)/),
      }),
    ]);
  });

  it('says nothing when the network goes away after the first call succeeded', async () => {
    sim = await startSimulator();
    const { logs } = await run(simulatorEnv(sim));
    await sim.close();
    sim = undefined;
    const response = await gateway!.query('{ weather(cities: ["Lima"]) { __typename ... on WeatherError { code } } }');
    expect(response.body.data.weather).toEqual([{ __typename: 'WeatherError', code: 'UPSTREAM_UNAVAILABLE' }]);
    expect(hints(logs)).toEqual([]);
  });
});
