import { afterEach, describe, expect, it } from 'vitest';
import { PREFLIGHT_MAX_AGE_S } from '../limits/cors.js';
import { counterValue } from '../metrics.js';
import { HASHING_LIMITS } from '../resolvers/password-hasher.js';
import { REQUEST_CITY_FACTOR } from '../resolvers/city-allowance.js';
import { LOGIN_THROTTLE } from '../resolvers/login-throttle.js';
import { startGateway, type TestGateway, testConfig } from './helpers/gateway.js';
import { startWeatherHarness, type WeatherHarness } from './helpers/weather.js';

// The probes of SECURITY.md ("Abuse"), each with its outcome: counts and outcomes, no clocks.

let gateway: TestGateway | undefined;
let harness: WeatherHarness | undefined;
afterEach(async () => {
  await gateway?.close();
  await harness?.close();
  gateway = harness = undefined;
});

/** POSTs `body` as JSON, as the client at `address` (the gateways here believe X-Forwarded-For). */
async function post(target: TestGateway, body: unknown, address = '203.0.113.1', headers: Record<string, string> = {}) {
  const response = await target.yoga.fetch('http://gatherql.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe('cost-based limits: one request may not spend everyone’s upstream budget', () => {
  it('a batch of 10 operations x 4 aliased weather fields x 50 cities spends 10 rate-limit points and at most the client’s upstream budget', async () => {
    const BUDGET = 100;
    harness = await startWeatherHarness({ RATE_LIMIT_PER_MINUTE: '100', UPSTREAM_BUDGET_PER_MINUTE: String(BUDGET), TRUST_PROXY: 'true' });
    const operation = (n: number) => {
      const fields = Array.from({ length: 4 }, (_, field) => {
        const cities = Array.from({ length: 50 }, (_, city) => `"Nowhere ${n}-${field}-${city}"`).join(', ');
        return `f${field}: weather(cities: [${cities}]) { __typename ... on WeatherError { code retryAfterSeconds } }`;
      });
      return { query: `{ ${fields.join(' ')} }` };
    };
    const { status, headers, body } = await post(
      harness.gateway,
      Array.from({ length: 10 }, (_, n) => operation(n)),
    );
    expect(status).toBe(200);
    // Every operation of the batch spent a point of the request rate limit.
    expect(headers.get('ratelimit-remaining')).toBe('90');
    const items = (body as any[]).flatMap((result) => Object.values(result.data).flat()) as { code: string; retryAfterSeconds: number | null }[];
    expect(items).toHaveLength(2000);
    // The budget's worth of look-ups went out (not found, each), the rest never left the gateway.
    expect(harness.sim.calls().geocoding).toBe(BUDGET);
    expect(items.filter((item) => item.code === 'CITY_NOT_FOUND')).toHaveLength(BUDGET);
    const limited = items.filter((item) => item.code === 'RATE_LIMITED');
    expect(limited).toHaveLength(2000 - BUDGET);
    // Retry when the client's minute is over: the window started with this request (however slow the machine, well under 30 s ago).
    expect(limited.every((item) => item.retryAfterSeconds! > 30 && item.retryAfterSeconds! <= 60)).toBe(true);
    // Each answer says what it spent, and the budget is spent.
    const costs = (body as any[]).map((result) => result.extensions.cost);
    expect(costs.reduce((sum, cost) => sum + cost.upstreamLookUps, 0)).toBe(BUDGET);
    expect(costs.reduce((sum, cost) => sum + cost.refused, 0)).toBe(2000 - BUDGET);
    expect(costs.every((cost) => cost.budget.limit === BUDGET && cost.budget.remaining === 0)).toBe(true);
  });

  it('a fresh client’s largest request, every name cold and every part asked, fits the default budget', async () => {
    // Unset: the default. The harness's deadline and quota settings keep a slow machine out of the verdict.
    harness = await startWeatherHarness({ UPSTREAM_BUDGET_PER_MINUTE: '', TRUST_PROXY: 'true' }, {}, {}, { syntheticNames: true });
    const { weatherMaxCities, upstreamBudgetPerMinute } = testConfig({ UPSTREAM_BUDGET_PER_MINUTE: '' });
    const fields = Array.from({ length: REQUEST_CITY_FACTOR }, (_, field) => {
      // `Sim <n>`: a made-up place of the simulator's, each with coordinates of its own, so every look-up is cold.
      const names = Array.from({ length: weatherMaxCities }, (_, city) => `"Sim ${field * weatherMaxCities + city}"`).join(', ');
      return `f${field}: cities(names: [${names}]) { __typename ... on City {
        weather { __typename ... on WeatherError { code } }
        airQuality { __typename ... on UpstreamError { code } }
        country { __typename ... on UpstreamError { code } } } }`;
    });
    const { status, body } = await post(harness.gateway, { query: `{ ${fields.join(' ')} }` }, '203.0.113.20');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const places = Object.values(body.data).flat() as { __typename: string; [part: string]: any }[];
    expect(places).toHaveLength(REQUEST_CITY_FACTOR * weatherMaxCities);
    expect(new Set(places.map((place) => place.__typename))).toEqual(new Set(['City']));
    expect(new Set(places.flatMap((place) => [place.weather.__typename, place.airQuality.__typename]))).toEqual(new Set(['CityWeather', 'AirQuality']));
    // Whatever the countries service answers for the made-up country, the budget refused nothing.
    expect(places.filter((place) => place.country.code === 'RATE_LIMITED')).toEqual([]);
    expect(harness.sim.calls().geocoding).toBe(places.length);
    // It spent one look-up per cold key, exactly what the caches missed, and no more than the budget.
    const missed = await Promise.all(
      ['geocoding', 'weather', 'air-quality', 'countries'].map((cache) => counterValue(harness!.gateway.metrics.cacheEvents, { cache, event: 'miss' })),
    );
    const lookUps = missed.reduce((sum, count) => sum + count, 0);
    expect(lookUps).toBeGreaterThanOrEqual(3 * places.length);
    expect(body.extensions.cost).toEqual({
      upstreamLookUps: lookUps,
      refused: 0,
      budget: { limit: upstreamBudgetPerMinute, remaining: upstreamBudgetPerMinute - lookUps, resetSeconds: expect.any(Number) },
    });
  });

  it('cache hits cost nothing: a spent budget still answers what is cached, and another client has its own budget', async () => {
    harness = await startWeatherHarness({ UPSTREAM_BUDGET_PER_MINUTE: '4', TRUST_PROXY: 'true' });
    const weather = (cities: string[], address: string) =>
      post(harness!.gateway, { query: `{ weather(cities: ${JSON.stringify(cities)}) { __typename ... on WeatherError { code } } }` }, address);
    // Paris and Rome: 2 places and 2 forecasts, the whole budget.
    const first = await weather(['Paris', 'Rome'], '203.0.113.7');
    expect(first.body.extensions.cost).toEqual({ upstreamLookUps: 4, refused: 0, budget: { limit: 4, remaining: 0, resetSeconds: expect.any(Number) } });
    expect(first.body.extensions.cost.budget.resetSeconds).toBeGreaterThan(30);
    expect(first.body.extensions.cost.budget.resetSeconds).toBeLessThanOrEqual(60);
    const again = await weather(['Paris', 'Rome', 'Lima'], '203.0.113.7');
    expect(again.body.data.weather).toEqual([
      { __typename: 'CityWeather' },
      { __typename: 'CityWeather' },
      { __typename: 'WeatherError', code: 'RATE_LIMITED' },
    ]);
    expect(again.body.extensions.cost).toMatchObject({ upstreamLookUps: 0, refused: 1 });
    const other = await weather(['Lima'], '198.51.100.9');
    expect(other.body.data.weather).toEqual([{ __typename: 'CityWeather' }]);
    // An answer that cost nothing says nothing about cost.
    expect((await weather(['Lima'], '198.51.100.9')).body.extensions).toBeUndefined();
  });

  it('never hands a client’s budget refusal to another client that asked the same query meanwhile', async () => {
    harness = await startWeatherHarness({ UPSTREAM_BUDGET_PER_MINUTE: '3', TRUST_PROXY: 'true' });
    const query = { query: '{ weather(cities: ["Rome", "Lima"]) { __typename ... on WeatherError { code } } }' };
    const joined = () => counterValue(harness!.gateway.metrics.cacheEvents, { cache: 'responses', event: 'joined' });
    // Lima is cached (by a third client); the first client has one unit of its three left.
    await post(harness.gateway, { query: '{ weather(cities: ["Lima"]) { __typename } }' }, '192.0.2.50');
    await post(harness.gateway, { query: '{ weather(cities: ["Paris"]) { __typename } }' }, '203.0.113.7');
    // Its last unit goes to Rome's place, whose call is held: its answer (Rome refused at the
    // forecast, Lima from the cache) is being worked out when the second client asks the same.
    harness.sim.setFaults([{ endpoint: 'geocoding', times: 1, fault: { kind: 'hold' } }]);
    const spent = post(harness.gateway, query, '203.0.113.7');
    await expect.poll(() => harness!.sim.held(), { timeout: 10_000 }).toBe(1);
    const before = await joined();
    const fresh = post(harness.gateway, query, '198.51.100.9');
    await expect.poll(joined, { timeout: 10_000 }).toBe(before + 1);
    harness.sim.release();
    expect((await spent).body.data.weather).toEqual([{ __typename: 'WeatherError', code: 'RATE_LIMITED' }, { __typename: 'CityWeather' }]);
    // The second client's budget is whole: its Rome is gathered for it.
    const answer = await fresh;
    expect(answer.body.data.weather).toEqual([{ __typename: 'CityWeather' }, { __typename: 'CityWeather' }]);
    expect(answer.body.extensions.cost).toMatchObject({ refused: 0 });
  });
});

describe('login throttling', () => {
  const LOG_IN = 'mutation ($u: String!, $p: String!) { logIn(username: $u, password: $p) { __typename } }';
  const SIGN_UP = 'mutation ($u: String!) { signUp(input: { username: $u, email: "x@example.com", password: "the right password" }) { __typename } }';
  const outcome = (response: Awaited<ReturnType<typeof post>>) => response.body.data?.logIn.__typename ?? response.body.errors[0].extensions.code;
  const attempts = async (username: string, password: string, count: number, address: string) => {
    const outcomes: string[] = [];
    for (let n = 0; n < count; n += 1) outcomes.push(outcome(await post(gateway!, { query: LOG_IN, variables: { u: username, p: password } }, address)));
    return outcomes;
  };

  async function start() {
    gateway = await startGateway({ TRUST_PROXY: 'true' });
    await post(gateway, { query: SIGN_UP, variables: { u: 'ada' } });
    await post(gateway, { query: SIGN_UP.replace('x@', 'y@'), variables: { u: 'grace' } });
  }

  it.each([
    ['a known account', 'ada'],
    ['an unknown username (the same answers)', 'ghost'],
  ])('20 wrong passwords for %s from one client: refused after a few, while another account signs in from another client', async (_name, username) => {
    await start();
    const outcomes = await attempts(username, 'wrong password', 20, '203.0.113.5');
    // The first two are checked; then the guesser is slowed down, and locked after five failures at most.
    expect(outcomes.slice(0, LOGIN_THROTTLE.slowDownAfter)).toEqual(['InvalidCredentialsError', 'InvalidCredentialsError']);
    expect(outcomes.filter((item) => item === 'InvalidCredentialsError').length).toBeLessThanOrEqual(LOGIN_THROTTLE.maxConsecutiveFailures);
    expect(outcomes.slice(LOGIN_THROTTLE.maxConsecutiveFailures).every((item) => item === 'RATE_LIMITED')).toBe(true);
    expect(outcomes.every((item) => ['InvalidCredentialsError', 'RATE_LIMITED'].includes(item))).toBe(true);
    // Refused with the contract's code, HTTP 429 and Retry-After.
    const refused = await post(gateway!, { query: LOG_IN, variables: { u: username, p: 'the right password' } }, '203.0.113.5');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body.errors[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: Number(refused.headers.get('retry-after')) } });
    // Someone else, elsewhere, is not affected.
    expect(await attempts('grace', 'the right password', 1, '198.51.100.2')).toEqual(['AuthPayload']);
  });

  it('a burst of 20 concurrent guesses for one username is counted before any password is checked: at most 5 are', async () => {
    await start();
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, n) => post(gateway!, { query: LOG_IN, variables: { u: 'ada', p: `guess ${n}` } }, `10.1.0.${n}`)),
    );
    const outcomes = burst.map(outcome);
    expect(outcomes.filter((item) => item === 'InvalidCredentialsError')).toHaveLength(LOGIN_THROTTLE.maxConsecutiveFailures);
    expect(outcomes.filter((item) => item === 'RATE_LIMITED')).toHaveLength(20 - LOGIN_THROTTLE.maxConsecutiveFailures);
  });

  it('a success forgets the username’s failures', async () => {
    await start();
    expect(await attempts('ada', 'wrong password', 1, '203.0.113.5')).toEqual(['InvalidCredentialsError']);
    expect(await attempts('ada', 'the right password', 1, '203.0.113.5')).toEqual(['AuthPayload']);
    expect(await attempts('ada', 'wrong password', 2, '203.0.113.5')).toEqual(['InvalidCredentialsError', 'InvalidCredentialsError']);
  });

  it(`blocks a client after ${LOGIN_THROTTLE.maxFailuresPerClient} failures over many usernames`, async () => {
    await start();
    const outcomes: string[] = [];
    for (let n = 0; n <= LOGIN_THROTTLE.maxFailuresPerClient; n += 1) outcomes.push(...(await attempts(`user${n}`, 'wrong password', 1, '203.0.113.9')));
    expect(outcomes.slice(0, -1).every((item) => item === 'InvalidCredentialsError')).toBe(true);
    expect(outcomes.at(-1)).toBe('RATE_LIMITED');
    expect(await attempts('ada', 'the right password', 1, '203.0.113.9')).toEqual(['RATE_LIMITED']);
    expect(await attempts('ada', 'the right password', 1, '198.51.100.2')).toEqual(['AuthPayload']);
    // Thirty-odd password hashes, one after another: minutes on a busy machine, or with every line instrumented for mutation testing.
  }, 600_000);
});

describe('password hashing under a bound', () => {
  it('a storm of 100 concurrent logIns hashes at most the bound at once; the rest are refused at once; other requests go on', async () => {
    gateway = await startGateway({ TRUST_PROXY: 'true' });
    const LOG_IN = 'mutation ($u: String!) { logIn(username: $u, password: "wrong password") { __typename } }';
    const storm = Array.from({ length: 100 }, (_, n) =>
      post(gateway!, { query: LOG_IN, variables: { u: `storm${n}` } }, `10.0.${Math.floor(n / 250)}.${n % 250}`),
    );
    const posts = await post(gateway, { query: '{ posts(first: 1) { totalCount } }' });
    const answers = await Promise.all(storm);
    expect(posts.body.data).toEqual({ posts: { totalCount: 0 } });
    const outcomes = answers.map((answer) => answer.body.data?.logIn.__typename ?? answer.body.errors[0].extensions.code);
    const refused = outcomes.filter((item) => item === 'RATE_LIMITED').length;
    expect(outcomes.filter((item) => item === 'InvalidCredentialsError').length + refused).toBe(100);
    const stats = gateway.passwords.stats();
    expect(stats.refused).toBe(refused);
    expect(stats.done).toBe(100 - refused);
    // The storm kept the bound busy and never passed it, nor the queue's length.
    expect(stats.peakRunning).toBe(HASHING_LIMITS.concurrency);
    expect(stats.peakQueued).toBeLessThanOrEqual(HASHING_LIMITS.queue);
    // Refused only when the bound and the queue were full: at least that many were admitted, and the rest of the storm was not.
    expect(100 - refused).toBeGreaterThanOrEqual(HASHING_LIMITS.concurrency + HASHING_LIMITS.queue);
    expect(refused).toBeGreaterThan(0);
    const busy = answers.find((answer) => answer.status === 429)!;
    expect(busy.headers.get('retry-after')).toBe('1');
  });
});

describe('CORS from configuration', () => {
  const preflight = (target: TestGateway, origin: string) =>
    target.yoga.fetch('http://gatherql.test/graphql', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });

  it('by default lets any page read answers, never with credentials, and lets the preflight be cached', async () => {
    gateway = await startGateway();
    const response = await preflight(gateway, 'https://evil.example');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://evil.example');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('access-control-max-age')).toBe(String(PREFLIGHT_MAX_AGE_S));
  });

  it('with CORS_ORIGINS, answers the listed origins (with credentials if CORS_CREDENTIALS) and gives a foreign one no CORS header at all', async () => {
    gateway = await startGateway({ CORS_ORIGINS: 'https://app.example,http://localhost:5173', CORS_CREDENTIALS: 'true' });
    const allowed = await preflight(gateway, 'http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    // The same settings as for every origin: how long a browser keeps the answer.
    expect(allowed.headers.get('access-control-max-age')).toBe(String(PREFLIGHT_MAX_AGE_S));
    // A foreign origin, and look-alikes of a listed one: no CORS header at all.
    for (const origin of [
      'https://evil.example',
      'https://app.example.evil.net',
      'https://app.example:8443',
      'http://app.example',
      'https://APP.example.com',
    ]) {
      const foreign = await preflight(gateway, origin);
      expect([origin, foreign.headers.get('access-control-allow-origin'), foreign.headers.get('access-control-allow-credentials')]).toEqual([
        origin,
        null,
        null,
      ]);
    }
    expect((await preflight(gateway, 'https://app.example')).headers.get('access-control-allow-origin')).toBe('https://app.example');
    const actual = await post(gateway, { query: '{ __typename }' }, '203.0.113.1', { origin: 'https://evil.example' });
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });
});
