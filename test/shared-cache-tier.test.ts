import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { simulatorEnv, TEST_POLICY, WEATHER_QUERY } from './helpers/weather.js';
import { freePort } from './services/free-port.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// A database of its own on the run's Redis, so other suites' keys never meet these.
const redisUrl = sharedRedis ? redisDatabase('shared-cache-tier') : '';

async function instance(sim: Simulator, redis: string): Promise<TestGateway> {
  return startGateway({ ...simulatorEnv(sim), REDIS_URL: redis }, { sources: { policy: TEST_POLICY } });
}

async function weather(gateway: TestGateway, cities: string[]) {
  const { body } = await gateway.query(WEATHER_QUERY, { cities });
  expect(body.errors).toBeUndefined();
  return body.data.weather as { __typename: string; city: string; temperatureC?: number; stale?: boolean }[];
}

describe.skipIf(!sharedRedis)('the shared cache tier in Redis', () => {
  let sim: Simulator;
  let first: TestGateway;
  let second: TestGateway;

  beforeAll(async () => {
    await emptyRedis(redisUrl);
    sim = await startSimulator();
    first = await instance(sim, redisUrl);
    second = await instance(sim, redisUrl);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await sim?.close();
  });

  it('lets a second instance answer what the first fetched, without going upstream', async () => {
    const fetched = await weather(first, ['Berlin', 'Paris', 'Lima']);
    expect(fetched.map((item) => item.__typename)).toEqual(['CityWeather', 'CityWeather', 'CityWeather']);
    expect(sim.calls()).toMatchObject({ geocoding: 3, forecast: 1 });

    const answered = await weather(second, [' berlin', 'PARIS', 'Lima']);
    expect(answered.map((item) => [item.city, item.temperatureC, item.stale])).toEqual([
      [' berlin', fetched[0]!.temperatureC, false],
      ['PARIS', fetched[1]!.temperatureC, false],
      ['Lima', fetched[2]!.temperatureC, false],
    ]);
    expect(sim.calls()).toMatchObject({ geocoding: 3, forecast: 1 });
    expect(await counterValue(second.metrics.cacheEvents, { cache: 'geocoding', event: 'hit' })).toBe(3);
    expect(await counterValue(second.metrics.cacheEvents, { cache: 'weather', event: 'hit' })).toBe(3);
    expect(await counterValue(second.metrics.upstreamRequests)).toBe(0);
  });
});

describe.skipIf(!sharedRedis)('concurrent cold look-ups on several instances', () => {
  it('30 concurrent requests for one cold city over three instances cost 1 geocoding and 1 forecast call', async () => {
    await emptyRedis(redisUrl);
    const sim = await startSimulator();
    const instances = [await instance(sim, redisUrl), await instance(sim, redisUrl), await instance(sim, redisUrl)];
    try {
      // Held until every instance has asked: then all of them are surely in flight together.
      sim.setFaults([{ fault: { kind: 'hold' } }]);
      const answers = Promise.all(Array.from({ length: 30 }, (_, n) => weather(instances[n % 3]!, [`${' '.repeat(n % 4)}Lima${n % 2 ? '' : ' '}`])));
      // Each request either looks its city up or waits for an identical query in flight on its instance.
      const asked = () =>
        Promise.all(
          instances.map(
            async (gateway) =>
              (await counterValue(gateway.metrics.cacheEvents, { cache: 'geocoding' })) +
              (await counterValue(gateway.metrics.cacheEvents, { cache: 'responses', event: 'joined' })),
          ),
        );
      await expect.poll(async () => (await asked()).reduce((sum, count) => sum + count, 0), { timeout: 20_000 }).toBe(30);
      await expect.poll(() => sim.held()).toBe(1);
      sim.release();
      expect((await answers).flat().every((item) => item.__typename === 'CityWeather')).toBe(true);
      expect(sim.calls()).toMatchObject({ geocoding: 1, forecast: 1 });
    } finally {
      for (const gateway of instances) await gateway.close();
      await sim.close();
    }
  });
});

describe('the shared cache tier while Redis is unreachable', () => {
  it('serves from the upstream as if the tier were empty', async () => {
    const sim = await startSimulator();
    const gateway = await instance(sim, `redis://127.0.0.1:${await freePort()}`);
    try {
      const answered = await weather(gateway, ['Berlin', 'Paris']);
      expect(answered.map((item) => item.__typename)).toEqual(['CityWeather', 'CityWeather']);
      expect(sim.calls()).toMatchObject({ geocoding: 2, forecast: 1 });
      // The local tier still works: a repeat costs nothing upstream.
      await weather(gateway, ['Berlin', 'Paris']);
      expect(sim.calls()).toMatchObject({ geocoding: 2, forecast: 1 });
    } finally {
      await gateway.close();
      await sim.close();
    }
  });
});
