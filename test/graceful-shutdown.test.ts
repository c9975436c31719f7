import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { startServerProcess } from './helpers/server-process.js';
import { WEATHER_QUERY } from './helpers/weather.js';

describe('SIGTERM under load', () => {
  let sim: Simulator;
  beforeAll(async () => {
    // Upstream calls are held until the test releases them: the signal surely lands while every request is in flight.
    sim = await startSimulator({ faults: [{ fault: { kind: 'hold' } }] });
  });
  afterAll(() => sim?.close());

  it('lets weather requests in flight finish, refuses new ones, then exits 0', async () => {
    const server = await startServerProcess({
      DATABASE_URL: ':memory:',
      OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
      OPEN_METEO_FORECAST_URL: sim.forecastUrl,
      RATE_LIMIT_PER_MINUTE: '0',
      // Held calls must not time out however long the test takes to release them.
      UPSTREAM_TIMEOUT_MS: '30000',
      REQUEST_DEADLINE_MS: '60000',
      SOCKET_TIMEOUT_S: '120',
    });
    const cities = [['Berlin', 'Paris'], ['Lima'], ['Tokyo', 'Oslo', 'Cairo'], ['Sydney'], ['Madrid', 'Rome']];
    const inFlight = cities.map(async (names) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: WEATHER_QUERY, variables: { cities: names } }),
      });
      return { status: response.status, body: (await response.json()) as any };
    });
    // Every request has reached the upstream (its geocoding calls are held there).
    await expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(9);

    server.child.kill('SIGTERM');
    // New connections are refused once the signal is handled, while the nine calls are still held.
    await expect
      .poll(
        () =>
          fetch(`${server.url}/health`).then(
            () => 'accepted',
            () => 'refused',
          ),
        { timeout: 20_000 },
      )
      .toBe('refused');
    expect(sim.held()).toBe(9);
    sim.release();

    const answers = await Promise.all(inFlight);
    for (const [index, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data.weather.map((item: any) => `${item.city}: ${item.__typename}`)).toEqual(cities[index]!.map((city) => `${city}: CityWeather`));
    }
    expect(await server.exited).toBe(0);
    expect(server.stdout()).toContain('"msg":"stopped"');
  });
});
