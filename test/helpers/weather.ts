import type { GatewayOptions } from '../../gateway.js';
import { SIM_API_KEY } from '../../simulator/countries-keys.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../simulator/simulator.js';
import type { UpstreamPolicyOverrides } from '../../sources/kit/upstream-policy.js';
import { type GraphQLResponse, startGateway, type TestGateway } from './gateway.js';

/**
 * An attempt's timeout that a loaded machine always meets: a test that counts calls must not
 * see an extra attempt because a busy CPU read a healthy answer late. Tests about timeouts
 * cut hanging calls with CUT_TIMEOUT_MS instead.
 */
export const TEST_TIMEOUT_MS = 10_000;
/** For tests of hangs and slow bodies: short, so that they take moments. */
export const CUT_TIMEOUT_MS = 300;
/**
 * Production's policy with small backoffs, so that fault tests take milliseconds; a budget
 * that fits every attempt however slow the machine, so that attempt counts are exact; and no
 * hedging, whose second attempts depend on how fast the machine answers (hedging tests turn it on).
 */
export const TEST_POLICY: UpstreamPolicyOverrides = {
  retryLimit: 2,
  backoffBaseMs: 5,
  backoffMaxMs: 20,
  maxRetryAfterMs: 2_000,
  budgetMs: 60_000,
  hedge: { percentile: 0 },
};

export const WEATHER_QUERY = /* GraphQL */ `
  query Weather($cities: [String!]!) {
    weather(cities: $cities) {
      __typename
      ... on CityWeather {
        city
        temperatureC
        apparentTemperatureC
        relativeHumidity
        windSpeedKmh
        weatherCode
        conditions
        observedAt
        stale
        freshness { state fetchedAt ageSeconds ttlSeconds }
        location { name country latitude longitude timezone }
      }
      ... on WeatherError { city code message retryAfterSeconds }
    }
  }
`;

export interface WeatherItem {
  __typename: 'CityWeather' | 'WeatherError';
  city: string;
  code?: string;
  message?: string;
  stale?: boolean;
  temperatureC?: number;
  freshness?: { state: 'LIVE' | 'CACHED' | 'STALE'; fetchedAt: string; ageSeconds: number; ttlSeconds: number };
  retryAfterSeconds?: number | null;
  [field: string]: unknown;
}

export interface WeatherHarness {
  sim: Simulator;
  gateway: TestGateway;
  /** Runs the weather query; fails the test if the response has top-level errors. */
  weather(cities: string[]): Promise<WeatherItem[]>;
  /** Runs the weather query and returns the whole response. */
  query(cities: string[]): Promise<GraphQLResponse<{ weather: WeatherItem[] }>>;
  close(): Promise<void>;
}

/**
 * The environment of a gateway on the simulator: its four upstreams (with a key that the
 * simulated REST Countries v5 takes, as `npm run dev:sim` gives one), the test timeout, and a
 * request deadline and no quota that a slow machine never runs into (tests of deadlines and
 * quotas set their own).
 */
export function simulatorEnv(sim: Simulator): Record<string, string> {
  return {
    OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
    OPEN_METEO_FORECAST_URL: sim.forecastUrl,
    OPEN_METEO_AIR_QUALITY_URL: sim.airQualityUrl,
    REST_COUNTRIES_URL: sim.countriesUrl,
    REST_COUNTRIES_API_KEY: SIM_API_KEY,
    UPSTREAM_TIMEOUT_MS: String(TEST_TIMEOUT_MS),
    REQUEST_DEADLINE_MS: '60000',
    SOCKET_TIMEOUT_S: '120',
    OPEN_METEO_QUOTA: 'off',
  };
}

export type SourcesOverrides = NonNullable<GatewayOptions['sources']>;

/**
 * A simulator and a gateway wired to it (in-process, through yoga.fetch), with TEST_POLICY.
 * `options` are the gateway's other options (a logger, tuning); `simulator` the simulator's.
 */
export async function startWeatherHarness(
  env: Record<string, string> = {},
  sources: SourcesOverrides = {},
  options: Omit<GatewayOptions, 'sources'> = {},
  simulator: SimulatorOptions = {},
): Promise<WeatherHarness> {
  const sim = await startSimulator(simulator);
  const gateway = await startGateway({ ...simulatorEnv(sim), ...env }, { ...options, sources: { ...sources, policy: { ...TEST_POLICY, ...sources.policy } } });
  const query = (cities: string[]) => gateway.query<{ weather: WeatherItem[] }>(WEATHER_QUERY, { cities });
  return {
    sim,
    gateway,
    query,
    async weather(cities) {
      const response = await query(cities);
      if (response.body.errors) throw new Error(`unexpected errors: ${JSON.stringify(response.body.errors)}`);
      return response.body.data!.weather;
    },
    async close() {
      await gateway.close();
      await sim.close();
    },
  };
}

/** `__typename` and `code` of each result, the way most assertions read. */
export function outcomes(items: WeatherItem[]): string[] {
  return items.map((item) => (item.__typename === 'CityWeather' ? `${item.city}: ok` : `${item.city}: ${item.code}`));
}
