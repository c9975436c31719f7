import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findCityByName, findCityNear, SIM_CITIES, syntheticCity } from '../simulator/cities.js';
import { FaultBook } from '../simulator/faults.js';
import { type OpenMeteoSimulator, startOpenMeteoSimulator } from '../simulator/open-meteo-sim.js';

let sim: OpenMeteoSimulator;
afterEach(() => sim?.close());

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
};

describe('the Open-Meteo simulator', () => {
  it('answers geocoding in Open-Meteo’s shape, with no results key when nothing is found', async () => {
    sim = await startOpenMeteoSimulator();
    const found = await getJson(`${sim.geocodingUrl}/v1/search?name=s%C3%A3o+paulo&count=1&language=en&format=json`);
    expect(found.status).toBe(200);
    expect(found.body.results).toHaveLength(1);
    expect(found.body.results[0]).toMatchObject({ name: 'São Paulo', country: 'Brazil', country_code: 'BR', timezone: 'America/Sao_Paulo' });
    expect(typeof found.body.generationtime_ms).toBe('number');
    const missing = await getJson(`${sim.geocodingUrl}/v1/search?name=atlantis&count=1`);
    expect(missing.body).not.toHaveProperty('results');
    expect((await getJson(`${sim.geocodingUrl}/v1/search`)).status).toBe(400);
  });

  it('answers one forecast location as an object and several as an array in request order', async () => {
    sim = await startOpenMeteoSimulator();
    const fields = 'current=temperature_2m,relative_humidity_2m,apparent_temperature,weather_code,wind_speed_10m';
    const one = await getJson(`${sim.forecastUrl}/v1/forecast?latitude=52.52&longitude=13.41&${fields}`);
    expect(Array.isArray(one.body)).toBe(false);
    expect(Object.keys(one.body.current).sort()).toEqual(
      ['apparent_temperature', 'interval', 'relative_humidity_2m', 'temperature_2m', 'time', 'weather_code', 'wind_speed_10m'].sort(),
    );
    expect(one.body.current.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    const several = await getJson(`${sim.forecastUrl}/v1/forecast?latitude=52.52,-33.87&longitude=13.41,151.21&${fields}`);
    expect(several.body.map((entry: { latitude: number; location_id: number }) => [entry.latitude, entry.location_id])).toEqual([
      [52.52, 0],
      [-33.87, 1],
    ]);
    expect((await getJson(`${sim.forecastUrl}/v1/forecast?latitude=1,2&longitude=3`)).status).toBe(400);
    expect((await getJson(`${sim.forecastUrl}/v1/forecast?latitude=91&longitude=3`)).status).toBe(400);
    expect(sim.calls()).toMatchObject({ forecast: 4, forecastBatchSizes: [1, 2], forecastByCity: { Berlin: 2, Sydney: 1 } });
  });

  it('knows about fifty real cities, each found by its name', () => {
    expect(SIM_CITIES.length).toBeGreaterThanOrEqual(50);
    for (const city of SIM_CITIES) expect(findCityByName(city.name.toUpperCase())).toBe(city);
  });

  it('takes faults and reports calls over HTTP, so that another process can drive it', async () => {
    sim = await startOpenMeteoSimulator();
    const post = (path: string, body?: unknown) =>
      fetch(`${sim.forecastUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post('/__sim/faults', [{ fault: { kind: 'status', status: 200 } }]);
    expect(bad.status).toBe(400);
    expect((await bad.json()).reason).toMatch(/^0\.fault\.status/);
    expect((await post('/__sim/faults', [{ endpoint: 'geocoding', city: 'Oslo', times: 1, fault: { kind: 'status', status: 503 } }])).status).toBe(200);
    expect((await fetch(`${sim.geocodingUrl}/v1/search?name=oslo`)).status).toBe(503);
    expect((await fetch(`${sim.geocodingUrl}/v1/search?name=oslo`)).status).toBe(200);
    expect((await getJson(`${sim.forecastUrl}/__sim/calls`)).body).toMatchObject({ geocoding: 2, geocodingByName: { oslo: 2 } });
    await post('/__sim/reset');
    expect(sim.calls()).toMatchObject({ geocoding: 0, geocodingByName: {} });
  });

  it('injects latency into a share of calls only, for tail-latency benchmarks', () => {
    let draw = 0;
    // Every tenth draw falls under 10%.
    const book = new FaultBook(() => (draw++ % 10) / 10 + 0.05);
    book.set([{ probability: 0.1, fault: { kind: 'latency', ms: 300 } }]);
    const delays = Array.from({ length: 10 }, () => book.choose({ endpoint: 'geocoding', cities: ['oslo'] }).delayMs);
    expect(delays.toSorted((a, b) => a - b)).toEqual([...Array.from({ length: 9 }, () => 0), 300]);
  });

  it('holds calls with a hold fault until released, then answers them as usual', async () => {
    sim = await startOpenMeteoSimulator({ faults: [{ endpoint: 'geocoding', fault: { kind: 'hold' } }] });
    const answers = Promise.all(['oslo', 'lima'].map((name) => getJson(`${sim.geocodingUrl}/v1/search?name=${name}`)));
    await expect.poll(() => sim.held()).toBe(2);
    sim.release();
    expect((await answers).map((answer) => answer.body.results[0].name)).toEqual(['Oslo', 'Lima']);
    expect(sim.held()).toBe(0);
    // Released means released: a later call is not held either, until the faults are set again.
    expect((await getJson(`${sim.geocodingUrl}/v1/search?name=rome`)).status).toBe(200);
  });

  it('finds synthetic places named "Sim <n>" only when asked to, each with coordinates of its own', async () => {
    const search = async (name: string) =>
      (await getJson(`${sim.geocodingUrl}/v1/search?name=${encodeURIComponent(name)}&count=1`)).body.results?.[0];
    sim = await startOpenMeteoSimulator();
    expect(await search('Sim 7')).toBeUndefined();
    await sim.close();

    sim = await startOpenMeteoSimulator({ syntheticNames: true });
    const seven = await search(' sim  7 ');
    expect(seven).toMatchObject({ name: 'Sim 7', country: 'Simland' });
    expect(await search('Sim 7')).toEqual(seven);
    expect((await search('Berlin')).name).toBe('Berlin');
    expect(await search('Sim seven')).toBeUndefined();
    const keys = new Set<string>();
    for (const n of [0, 1, 11_999, 12_000, 9_999_999]) {
      const city = syntheticCity(`Sim ${n}`)!;
      expect(Math.abs(city.latitude)).toBeLessThanOrEqual(90);
      expect(Math.abs(city.longitude)).toBeLessThanOrEqual(180);
      expect(findCityNear(city.latitude, city.longitude)).toBeUndefined();
      keys.add(`${city.latitude.toFixed(2)},${city.longitude.toFixed(2)}`);
    }
    expect(keys.size).toBe(5);
    const fields = 'current=temperature_2m,weather_code';
    const forecast = await getJson(`${sim.forecastUrl}/v1/forecast?latitude=${seven.latitude}&longitude=${seven.longitude}&${fields}`);
    expect(typeof forecast.body.current.temperature_2m).toBe('number');
  });
});

describe('npm run dev:sim', () => {
  it('starts the gateway wired to the simulator, and weather flows end to end with no network', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-sim.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`dev:sim did not start:\n${out}`)), 45_000);
        child.stdout!.on('data', (chunk) => {
          out += chunk;
          const match = /"url":"(http:\/\/[^"]+\/graphql)"/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      expect(out).toMatch(/weather\(cities:/);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ weather(cities: ["Berlin", "Atlantis"]) { __typename ... on WeatherError { code } } }' }),
      });
      expect((await response.json()).data.weather).toEqual([{ __typename: 'CityWeather' }, { __typename: 'WeatherError', code: 'CITY_NOT_FOUND' }]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 60_000);
});
