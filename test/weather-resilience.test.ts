import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { CUT_TIMEOUT_MS, outcomes, startWeatherHarness, TEST_POLICY, type WeatherHarness } from './helpers/weather.js';

const ATTEMPTS = TEST_POLICY.retryLimit! + 1;

/** A budget that fits a few cut attempts but not all that a generous retry limit allows. */
const BUDGET_MS = 1_500;
const CUT = { UPSTREAM_TIMEOUT_MS: String(CUT_TIMEOUT_MS) };
/** Slack for a loaded machine: these are bounds that a missing budget would break, not speed claims. */
const SLACK_MS = 10_000;

let harness: WeatherHarness | undefined;
let gateway: TestGateway | undefined;
afterEach(async () => {
  await harness?.close();
  await gateway?.close();
  harness = gateway = undefined;
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('timeouts and the budget', () => {
  it('cuts a hanging upstream at the timeout, retries it, and the rest of the request is unaffected', async () => {
    harness = await startWeatherHarness(CUT);
    harness.sim.setFaults([{ endpoint: 'geocoding', city: 'Paris', fault: { kind: 'hang' } }]);
    const { value, ms } = await timed(() => harness!.weather(['Paris', 'Berlin']));
    expect(outcomes(value)).toEqual(['Paris: UPSTREAM_TIMEOUT', 'Berlin: ok']);
    expect(ms).toBeGreaterThanOrEqual(ATTEMPTS * CUT_TIMEOUT_MS);
    // The client, not the simulator, ended each hanging call.
    expect(harness.sim.calls().geocodingByName.paris).toBe(ATTEMPTS);
    await expect.poll(() => harness!.sim.calls().abandoned).toBe(ATTEMPTS);
    expect(await counterValue(harness.gateway.metrics.upstreamRequests, { source: 'geocoding', outcome: 'timeout' })).toBe(ATTEMPTS);
  });

  it('with every call hanging, no attempt starts after the budget, however many retries are allowed', async () => {
    harness = await startWeatherHarness(CUT, { policy: { retryLimit: 10, budgetMs: BUDGET_MS } });
    harness.sim.setFaults([{ fault: { kind: 'hang' } }]);
    const { value, ms } = await timed(() => harness!.weather(['Paris', 'Berlin', 'Rome']));
    expect(outcomes(value)).toEqual(['Paris: UPSTREAM_TIMEOUT', 'Berlin: UPSTREAM_TIMEOUT', 'Rome: UPSTREAM_TIMEOUT']);
    // Eleven attempts allowed, but each takes a timeout: at most budget / timeout of them fit.
    expect(harness.sim.calls().geocodingByName.paris).toBeLessThanOrEqual(Math.ceil(BUDGET_MS / CUT_TIMEOUT_MS));
    expect(ms).toBeLessThan(BUDGET_MS + SLACK_MS);
  });

  it('a forecast hang costs the batch one timeout, then the hanging location its attempts alone; its batch-mates are answered', async () => {
    harness = await startWeatherHarness(CUT);
    harness.sim.setFaults([{ endpoint: 'forecast', city: 'Rome', fault: { kind: 'hang' } }]);
    const { value } = await timed(() => harness!.weather(['Rome', 'Madrid', 'Athens']));
    expect(outcomes(value)).toEqual(['Rome: UPSTREAM_TIMEOUT', 'Madrid: ok', 'Athens: ok']);
    expect(harness.sim.calls().forecastByCity.Rome).toBe(1 + ATTEMPTS);
  });
});

describe('the circuit breaker', () => {
  /** Long enough that no busy machine sees the circuit half open during a test that expects it open. */
  const STAYS_OPEN_MS = 60_000;

  it('opens when a host keeps failing, and then fails fast without calling it', async () => {
    harness = await startWeatherHarness({}, { policy: { breaker: { volumeThreshold: 3, resetTimeoutMs: STAYS_OPEN_MS } } });
    const { sim } = harness;
    sim.setFaults([{ endpoint: 'forecast', fault: { kind: 'status', status: 503 } }]);
    // Three failed calls (each with its retries): the host keeps failing. A batch is not split for a 5xx.
    for (const cities of [['Paris', 'Berlin'], ['Rome'], ['Lima']]) {
      expect(outcomes(await harness.weather(cities))).toEqual(cities.map((city) => `${city}: UPSTREAM_UNAVAILABLE`));
    }
    expect(sim.calls().forecastBatchSizes).toEqual([2, 2, 2, 1, 1, 1, 1, 1, 1]);
    expect(harness.gateway.sources.circuits().forecast).toBe('open');

    sim.resetCalls();
    const open = await harness.weather(['Madrid']);
    expect(outcomes(open)).toEqual(['Madrid: UPSTREAM_UNAVAILABLE']);
    expect(open[0]!.message).toMatch(/not calling it for a while/);
    expect(sim.calls()).toMatchObject({ geocoding: 1, forecast: 0 });
    // Every other source has its own breaker, which never opened.
    expect(harness.gateway.sources.circuits()).toEqual({ geocoding: 'closed', forecast: 'open', 'air-quality': 'closed', countries: 'closed' });
  });

  it('after the open period lets one probe through, and its success closes the circuit for everyone', async () => {
    harness = await startWeatherHarness({}, { policy: { breaker: { volumeThreshold: 3, resetTimeoutMs: 300 } } });
    const { sim } = harness;
    sim.setFaults([{ endpoint: 'forecast', fault: { kind: 'status', status: 503 } }]);
    for (const city of ['Paris', 'Berlin', 'Rome']) await harness.weather([city]);
    sim.resetFaults();
    // Waits for the state, not for a time: the open period ends when the breaker says so.
    await expect.poll(() => harness!.gateway.sources.circuits().forecast, { timeout: 20_000 }).toBe('halfOpen');
    expect(outcomes(await harness.weather(['Madrid']))).toEqual(['Madrid: ok']);
    expect(harness.gateway.sources.circuits().forecast).toBe('closed');
    expect(outcomes(await harness.weather(['Lisbon', 'Oslo']))).toEqual(['Lisbon: ok', 'Oslo: ok']);
  });

  // A host that only says 429 or only answers garbage is as unusable as one that is down;
  // calling it on regardless only adds to its load (and to ours).
  it.each([
    ['a 429 storm', 'geocoding', { kind: 'status', status: 429, retryAfterS: 0 }, 'RATE_LIMITED'],
    ['bodies that are not JSON', 'geocoding', { kind: 'malformed-json' }, 'UPSTREAM_BAD_RESPONSE'],
    ['bodies of the wrong shape', 'geocoding', { kind: 'wrong-types' }, 'UPSTREAM_BAD_RESPONSE'],
    ['forecasts with every location mistyped', 'forecast', { kind: 'wrong-types' }, 'UPSTREAM_BAD_RESPONSE'],
  ] as const)('opens on %s too, and then fails fast without calling the host', async (_name, endpoint, fault, code) => {
    harness = await startWeatherHarness({}, { policy: { breaker: { volumeThreshold: 3, resetTimeoutMs: STAYS_OPEN_MS } } });
    const { sim } = harness;
    sim.setFaults([{ endpoint, fault }]);
    const cities = ['Paris', 'Berlin', 'Rome'];
    expect(outcomes(await harness.weather(cities))).toEqual(cities.map((city) => `${city}: ${code}`));
    expect(harness.gateway.sources.circuits()[endpoint]).toBe('open');

    sim.resetCalls();
    sim.resetFaults();
    expect(outcomes(await harness.weather(['Madrid']))).toEqual(['Madrid: UPSTREAM_UNAVAILABLE']);
    expect(sim.calls()[endpoint]).toBe(0);
  });

  it('does not open for one bad location among healthy ones', async () => {
    harness = await startWeatherHarness({}, { policy: { breaker: { volumeThreshold: 3 } } });
    harness.sim.setFaults([{ endpoint: 'forecast', city: 'Paris', fault: { kind: 'status', status: 400 } }]);
    const cities = ['Paris', 'Berlin', 'Rome', 'Madrid', 'Oslo', 'Lima', 'Cairo', 'Dubai'];
    const results = await harness.weather(cities);
    expect(outcomes(results)).toEqual(['Paris: UPSTREAM_BAD_RESPONSE', ...cities.slice(1).map((city) => `${city}: ok`)]);
    expect(Object.values(harness.gateway.sources.circuits()).every((state) => state === 'closed')).toBe(true);
  });
});

describe('stale values when the upstream fails (stale-if-error)', () => {
  const TTL_S = 60;

  async function withClock() {
    let now = Date.UTC(2026, 10, 25, 9);
    // No stale-while-revalidate window: these calls are waited for, and fail.
    harness = await startWeatherHarness({ WEATHER_CACHE_TTL_S: String(TTL_S), STALE_WHILE_REVALIDATE_S: '0' }, { now: () => now });
    return { advance: (ms: number) => (now += ms) };
  }

  it('with the upstream down, a recently expired value is served with stale: true', async () => {
    const clock = await withClock();
    const [fresh] = await harness!.weather(['Paris']);
    clock.advance(TTL_S * 1000 + 1);
    harness!.sim.setFaults([{ endpoint: 'forecast', fault: { kind: 'status', status: 503 } }]);
    const [stale] = await harness!.weather(['Paris']);
    expect(stale).toEqual({ ...fresh, stale: true, freshness: { ...fresh!.freshness, state: 'STALE', ageSeconds: TTL_S } });
    expect(await counterValue(harness!.gateway.metrics.cacheEvents, { cache: 'weather', event: 'stale' })).toBe(1);
  });

  it('a 429 with a recent value at hand serves the value rather than RATE_LIMITED', async () => {
    const clock = await withClock();
    await harness!.weather(['Rome']);
    clock.advance(TTL_S * 1000 + 1);
    harness!.sim.setFaults([{ endpoint: 'forecast', fault: { kind: 'status', status: 429, retryAfterS: 3600 } }]);
    const [rome] = await harness!.weather(['Rome']);
    expect(rome).toMatchObject({ __typename: 'CityWeather', stale: true });
  });

  it('a value expired longer ago than the stale window is not served', async () => {
    const clock = await withClock();
    await harness!.weather(['Paris']);
    clock.advance(TTL_S * 1000 + 31 * 60_000);
    harness!.sim.setFaults([{ endpoint: 'forecast', fault: { kind: 'status', status: 503 } }]);
    expect(outcomes(await harness!.weather(['Paris']))).toEqual(['Paris: UPSTREAM_UNAVAILABLE']);
  });
});

describe('offline', () => {
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it.each([
    ['a closed local port', async () => `http://127.0.0.1:${await closedPort()}`],
    ['a host that does not resolve', async () => 'http://gatherql-offline.invalid'],
  ])('with %s, every city is UPSTREAM_UNAVAILABLE or UPSTREAM_TIMEOUT within the budget; the rest of the API works', async (_name, url) => {
    const upstream = await url();
    gateway = await startGateway(
      { OPEN_METEO_GEOCODING_URL: upstream, OPEN_METEO_FORECAST_URL: upstream, ...CUT },
      { sources: { policy: { ...TEST_POLICY, budgetMs: BUDGET_MS } } },
    );
    const cities = ['Paris', 'Berlin', 'Tokyo'];
    const { value: response, ms } = await timed(() =>
      gateway!.query(
        `query ($cities: [String!]!) {
          posts(first: 1) { totalCount }
          weather(cities: $cities) { __typename ... on WeatherError { city code message } }
        }`,
        { cities },
      ),
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.posts).toEqual({ totalCount: 0 });
    for (const item of response.body.data.weather) {
      expect(item.__typename).toBe('WeatherError');
      expect(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT']).toContain(item.code);
    }
    expect(ms).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(await counterValue(gateway.metrics.upstreamRequests, { outcome: 'ok' })).toBe(0);
  });
});
