import { afterEach, describe, expect, it } from 'vitest';
import { simAirQualityAt } from '../simulator/air-quality.js';
import { TRACE_CONTEXTS_KEPT } from '../simulator/calls.js';
import { findCityByName, findCityNear, SIM_CITIES, syntheticCity } from '../simulator/cities.js';
import { findCountry } from '../simulator/countries.js';
import { FaultBook } from '../simulator/faults.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { startDevSim } from './helpers/dev-sim-process.js';

let sim: Simulator;
afterEach(() => sim?.close());

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
};

const postFaults = (url: string, rules: unknown) =>
  fetch(`${url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) });

const AIR = 'current=us_aqi,european_aqi,pm2_5,pm10,ozone,nitrogen_dioxide';
const FIELDS = 'fields=cca2,name,capital,region,subregion,population,currencies,languages,flag';
const codesOf = (body: { cca2: string }[]) => body.map((country) => country.cca2);

describe('the simulator', () => {
  it('answers geocoding in Open-Meteo’s shape, with no results key when nothing is found', async () => {
    sim = await startSimulator();
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
    sim = await startSimulator();
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
    sim = await startSimulator();
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
    sim = await startSimulator({ faults: [{ endpoint: 'geocoding', fault: { kind: 'hold' } }] });
    const answers = Promise.all(['oslo', 'lima'].map((name) => getJson(`${sim.geocodingUrl}/v1/search?name=${name}`)));
    await expect.poll(() => sim.held()).toBe(2);
    sim.release();
    expect((await answers).map((answer) => answer.body.results[0].name)).toEqual(['Oslo', 'Lima']);
    expect(sim.held()).toBe(0);
    // Released means released: a later call is not held either, until the faults are set again.
    expect((await getJson(`${sim.geocodingUrl}/v1/search?name=rome`)).status).toBe(200);
  });

  it('keeps the trace context of the latest calls that sent one, a bounded number of them', async () => {
    sim = await startSimulator();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await fetch(`${sim.geocodingUrl}/v1/search?name=berlin`, { headers: { traceparent, tracestate: 'vendor=1' } });
    await fetch(`${sim.countriesUrl}/v3.1/alpha?codes=DE`);
    expect(sim.calls().traceContexts).toEqual([{ upstream: 'geocoding', traceparent, tracestate: 'vendor=1' }]);
    for (let call = 0; call < TRACE_CONTEXTS_KEPT + 5; call += 1) {
      await fetch(`${sim.forecastUrl}/v1/forecast?latitude=52.52&longitude=13.41&current=temperature_2m`, { headers: { traceparent } });
    }
    const kept = sim.calls().traceContexts;
    expect(kept).toHaveLength(TRACE_CONTEXTS_KEPT);
    expect(kept.every((seen) => seen.upstream === 'forecast')).toBe(true);
  });

  it("changes a city's current weather on demand, in process or over HTTP, and nobody else's", async () => {
    sim = await startSimulator();
    const fields = 'current=temperature_2m,relative_humidity_2m,apparent_temperature,weather_code,wind_speed_10m';
    const [rome, oslo] = [findCityByName('Rome')!, findCityByName('Oslo')!];
    const forecast = async () =>
      (await getJson(`${sim.forecastUrl}/v1/forecast?latitude=${rome.latitude},${oslo.latitude}&longitude=${rome.longitude},${oslo.longitude}&${fields}`))
        .body as { current: Record<string, unknown> }[];
    const [romeBefore, osloBefore] = await forecast();
    sim.setWeather('roma', { temperature_2m: 31.5, time: '2026-07-01T12:00' });
    const [romeSet, osloSame] = await forecast();
    expect(romeSet!.current).toEqual({ ...romeBefore!.current, temperature_2m: 31.5, time: '2026-07-01T12:00' });
    expect(osloSame).toEqual(osloBefore);
    const posted = await fetch(`${sim.geocodingUrl}/__sim/weather`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ city: 'Rome', current: { weather_code: 95 } }),
    });
    expect(posted.status).toBe(200);
    // A new rule replaces the city's last one.
    expect((await forecast())[0]!.current).toMatchObject({ weather_code: 95, temperature_2m: romeBefore!.current.temperature_2m });
    const bad = await fetch(`${sim.geocodingUrl}/__sim/weather`, { method: 'POST', body: JSON.stringify({ city: 'Atlantis', current: {} }) });
    expect(bad.status).toBe(400);
    expect(() => sim.setWeather('Rome', { time: 'noon' })).toThrowError(/YYYY-MM-DDTHH:MM/);
    expect((await fetch(`${sim.geocodingUrl}/__sim/weather`, { method: 'DELETE' })).status).toBe(200);
    expect((await forecast())[0]!.current).toEqual(romeBefore!.current);
  });

  it('finds synthetic places named "Sim <n>" only when asked to, each with coordinates of its own', async () => {
    const search = async (name: string) => (await getJson(`${sim.geocodingUrl}/v1/search?name=${encodeURIComponent(name)}&count=1`)).body.results?.[0];
    sim = await startSimulator();
    expect(await search('Sim 7')).toBeUndefined();
    await sim.close();

    sim = await startSimulator({ syntheticNames: true });
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

describe('the simulated air quality API', () => {
  it('answers one location as an object and several as an array in request order, location_id after the first', async () => {
    sim = await startSimulator();
    const one = await getJson(`${sim.airQualityUrl}/v1/air-quality?latitude=52.52&longitude=13.41&${AIR}`);
    expect(one.status).toBe(200);
    expect(Array.isArray(one.body)).toBe(false);
    expect(one.body).not.toHaveProperty('location_id');
    expect(one.body).toMatchObject({ latitude: 52.52, longitude: 13.41, utc_offset_seconds: 0, timezone: 'GMT', timezone_abbreviation: 'GMT' });
    expect(one.body.current_units).toEqual({
      time: 'iso8601',
      interval: 'seconds',
      us_aqi: 'USAQI',
      european_aqi: 'EAQI',
      pm2_5: 'μg/m³',
      pm10: 'μg/m³',
      ozone: 'μg/m³',
      nitrogen_dioxide: 'μg/m³',
    });
    expect(one.body.current).toEqual({ time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:00$/), interval: 3600, ...simAirQualityAt(52.52, 13.41) });

    const several = await getJson(`${sim.airQualityUrl}/v1/air-quality?latitude=52.52,-33.87,48.85&longitude=13.41,151.21,2.35&current=us_aqi`);
    expect(several.body.map((entry: { latitude: number; location_id?: number }) => [entry.latitude, entry.location_id])).toEqual([
      [52.52, undefined],
      [-33.87, 1],
      [48.85, 2],
    ]);
    expect(several.body[1].current).toEqual({ time: expect.any(String), interval: 3600, us_aqi: simAirQualityAt(-33.87, 151.21).us_aqi });
    expect(sim.calls()).toMatchObject({ airQuality: 2, airQualityBatchSizes: [1, 3], airQualityByCity: { Berlin: 2, Sydney: 1, Paris: 1 } });
  });

  it('gives integer AQIs, one-decimal concentrations, and null nitrogen dioxide for about one place in ten', async () => {
    const points = Array.from({ length: 1000 }, (_, index) => [-50 + index / 10, 20] as const);
    const values = points.map(([latitude, longitude]) => simAirQualityAt(latitude, longitude));
    for (const value of values) {
      expect(Number.isInteger(value.us_aqi) && value.us_aqi >= 0 && value.us_aqi <= 300).toBe(true);
      expect(Number.isInteger(value.european_aqi) && value.european_aqi >= 0 && value.european_aqi <= 120).toBe(true);
      expect(Math.round(value.pm2_5 * 10) / 10).toBe(value.pm2_5);
    }
    const nulls = values.filter((value) => value.nitrogen_dioxide === null).length;
    expect(nulls).toBeGreaterThan(50);
    expect(nulls).toBeLessThan(150);

    sim = await startSimulator();
    const [latitude, longitude] = points[values.findIndex((value) => value.nitrogen_dioxide === null)]!;
    const answer = await getJson(`${sim.airQualityUrl}/v1/air-quality?latitude=${latitude}&longitude=${longitude}&current=nitrogen_dioxide,pm10`);
    // Written as JSON null, as the real API writes a missing value, not left out.
    expect(answer.body.current).toHaveProperty('nitrogen_dioxide', null);
    expect(typeof answer.body.current.pm10).toBe('number');
  });

  it('refuses unknown variables and bad coordinates with a 400 in Open-Meteo’s shape', async () => {
    sim = await startSimulator();
    const unknown = await getJson(`${sim.airQualityUrl}/v1/air-quality?latitude=52.52&longitude=13.41&current=us_aqi,temperature_2m`);
    expect(unknown).toEqual({ status: 400, body: { error: true, reason: expect.stringMatching(/invalid String value temperature_2m for key current$/) } });
    expect((await getJson(`${sim.airQualityUrl}/v1/air-quality?latitude=1,2&longitude=3&${AIR}`)).status).toBe(400);
    expect((await getJson(`${sim.airQualityUrl}/v1/air-quality?latitude=91&longitude=3&${AIR}`)).body.reason).toMatch(/^Latitude must be in range/);
    expect(sim.calls()).toMatchObject({ airQuality: 3, airQualityBatchSizes: [] });
  });

  it('corrupts only the named city’s entry with wrong-types', async () => {
    sim = await startSimulator({ faults: [{ endpoint: 'air-quality', city: 'Sydney', fault: { kind: 'wrong-types' } }] });
    const answer = await getJson(`${sim.airQualityUrl}/v1/air-quality?latitude=52.52,-33.87&longitude=13.41,151.21&${AIR}`);
    expect(answer.status).toBe(200);
    expect(answer.body[0].current).toEqual({ time: expect.any(String), interval: 3600, ...simAirQualityAt(52.52, 13.41) });
    expect(answer.body[1].current.us_aqi).toBe('bad');
    // The rule names the air quality endpoint, so Sydney's forecast is untouched.
    const forecast = await getJson(`${sim.forecastUrl}/v1/forecast?latitude=-33.87&longitude=151.21&current=temperature_2m`);
    expect(typeof forecast.body.current.temperature_2m).toBe('number');
  });
});

describe('the simulated REST Countries API', () => {
  it('answers the real shape, known codes only, not in request order, with a long Cache-Control', async () => {
    sim = await startSimulator();
    const response = await fetch(`${sim.countriesUrl}/v3.1/alpha?codes=FR,jp,ZZ,fr,DE&${FIELDS}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, immutable, max-age=31556926');
    const body = await response.json();
    // Case-insensitive, duplicates collapsed, ZZ absent; clients must match by cca2.
    expect(codesOf(body).toSorted()).toEqual(['DE', 'FR', 'JP']);
    expect(codesOf(body)).not.toEqual(['FR', 'JP', 'DE']);
    expect(body.find((country: { cca2: string }) => country.cca2 === 'FR')).toEqual({
      name: { common: 'France', official: 'French Republic', nativeName: { fra: { official: 'République française', common: 'France' } } },
      cca2: 'FR',
      capital: ['Paris'],
      region: 'Europe',
      subregion: 'Western Europe',
      population: 66351959,
      currencies: { EUR: { name: 'Euro', symbol: '€' } },
      languages: { fra: 'French' },
      flag: '🇫🇷',
    });
    const two = await getJson(`${sim.countriesUrl}/v3.1/alpha?codes=DE,JP&fields=cca2`);
    expect(codesOf(two.body)).toEqual(['JP', 'DE']);
  });

  it('takes fields as a whitelist of top-level fields, and gives every field without one', async () => {
    sim = await startSimulator();
    const some = await getJson(`${sim.countriesUrl}/v3.1/alpha?codes=JP&fields=cca2,flag,nosuchfield`);
    expect(some.body).toEqual([{ cca2: 'JP', flag: '🇯🇵' }]);
    const all = await getJson(`${sim.countriesUrl}/v3.1/alpha?codes=JP`);
    expect(Object.keys(all.body[0]).toSorted()).toEqual(['capital', 'cca2', 'currencies', 'flag', 'languages', 'name', 'population', 'region', 'subregion']);
  });

  it('answers 404 when no code is known and 400 when codes are missing, without Cache-Control', async () => {
    sim = await startSimulator();
    const none = await fetch(`${sim.countriesUrl}/v3.1/alpha?codes=ZZ,QQ`);
    expect(none.status).toBe(404);
    expect(none.headers.get('cache-control')).toBeNull();
    expect(await none.json()).toEqual({ message: 'Not Found', status: 404 });
    for (const query of ['', '?codes=', '?codes=,', '?fields=cca2']) {
      expect(await getJson(`${sim.countriesUrl}/v3.1/alpha${query}`)).toEqual({ status: 400, body: { message: 'Bad Request', status: 400 } });
    }
    expect(sim.calls()).toMatchObject({ countries: 5, countriesBatchSizes: [2], countriesByCode: { ZZ: 1, QQ: 1 } });
  });

  it('knows the country of every simulated city, and territories with empty lists as the real data has', () => {
    for (const city of SIM_CITIES) expect(findCountry(city.countryCode)?.cca2).toBe(city.countryCode);
    expect(findCountry(syntheticCity('Sim 1')!.countryCode)?.name.common).toBe('Simland');
    expect(findCountry('aq')).toMatchObject({ capital: [], currencies: {}, languages: {}, flag: '🇦🇶' });
    expect(findCountry('ZA')?.capital).toHaveLength(3);
  });
});

describe('faults and counts on the new endpoints', () => {
  it('fails a countries call that includes a named country, in REST Countries’ error shape', async () => {
    sim = await startSimulator();
    expect((await postFaults(sim.airQualityUrl, [{ endpoint: 'countries', country: 'jp', times: 1, fault: { kind: 'status', status: 503 } }])).status).toBe(
      200,
    );
    expect((await getJson(`${sim.countriesUrl}/v3.1/alpha?codes=FR&fields=cca2`)).status).toBe(200);
    expect(await getJson(`${sim.countriesUrl}/v3.1/alpha?codes=FR,JP&fields=cca2`)).toEqual({
      status: 503,
      body: { message: 'Simulated HTTP 503', status: 503 },
    });
    expect((await getJson(`${sim.countriesUrl}/v3.1/alpha?codes=FR,JP&fields=cca2`)).status).toBe(200);
    expect((await postFaults(sim.countriesUrl, [{ country: 'FRA', fault: { kind: 'hang' } }])).status).toBe(400);
  });

  it('corrupts only the named country’s entry, found by country or by one of its cities', async () => {
    sim = await startSimulator({ faults: [{ country: 'FR', times: 1, fault: { kind: 'wrong-types' } }] });
    const byCountry = await getJson(`${sim.countriesUrl}/v3.1/alpha?codes=FR,JP&fields=cca2,population`);
    expect(byCountry.body.find((country: { cca2: string }) => country.cca2 === 'FR').population).toBe('many');
    expect(byCountry.body.find((country: { cca2: string }) => country.cca2 === 'JP').population).toBe(findCountry('JP')!.population);

    sim.setFaults([{ endpoint: 'countries', city: 'Tokyo', fault: { kind: 'wrong-types' } }]);
    const byCity = await getJson(`${sim.countriesUrl}/v3.1/alpha?codes=FR,JP&fields=cca2,population`);
    expect(byCity.body.map((country: { cca2: string; population: unknown }) => [country.cca2, typeof country.population]).toSorted()).toEqual([
      ['FR', 'number'],
      ['JP', 'string'],
    ]);
  });

  it('matches a country rule to countries calls only', () => {
    const book = new FaultBook();
    book.set([{ country: 'de', fault: { kind: 'status', status: 500 } }]);
    expect(book.choose({ endpoint: 'forecast', cities: ['berlin'] }).fault).toBeUndefined();
    expect(book.choose({ endpoint: 'countries', cities: [], countries: ['FR'] }).fault).toBeUndefined();
    expect(book.choose({ endpoint: 'countries', cities: [], countries: ['FR', 'DE'] })).toMatchObject({ fault: { status: 500 }, country: 'DE' });
  });

  it('counts every upstream and reports it on every port, until a reset', async () => {
    sim = await startSimulator();
    await fetch(`${sim.geocodingUrl}/v1/search?name=Lima`);
    await fetch(`${sim.forecastUrl}/v1/forecast?latitude=-12.04&longitude=-77.03&current=temperature_2m`);
    await fetch(`${sim.airQualityUrl}/v1/air-quality?latitude=-12.04,10.5&longitude=-77.03,20.25&current=us_aqi`);
    await fetch(`${sim.countriesUrl}/v3.1/alpha?codes=pe,PE,zz&fields=cca2`);
    const expected = {
      geocoding: 1,
      forecast: 1,
      airQuality: 1,
      countries: 1,
      airQualityByCity: { Lima: 1, '10.5,20.25': 1 },
      countriesByCode: { PE: 2, ZZ: 1 },
      airQualityBatchSizes: [2],
      countriesBatchSizes: [3],
    };
    expect(sim.calls()).toMatchObject(expected);
    for (const url of [sim.geocodingUrl, sim.forecastUrl, sim.airQualityUrl, sim.countriesUrl]) {
      expect((await getJson(`${url}/__sim/calls`)).body).toMatchObject(expected);
    }
    await fetch(`${sim.countriesUrl}/__sim/reset`, { method: 'POST' });
    expect(sim.calls()).toMatchObject({
      airQuality: 0,
      countries: 0,
      airQualityByCity: {},
      countriesByCode: {},
      airQualityBatchSizes: [],
      countriesBatchSizes: [],
    });
  });
});

describe('npm run dev:sim', () => {
  it('starts the gateway wired to the simulator, and every upstream flows end to end with no network', async () => {
    const devSim = await startDevSim();
    try {
      const out = devSim.output();
      expect(out).toMatch(/cities\(names:/);
      expect(out).toMatch(/log line that says "gatherql is listening"/);
      const countriesUrl = /countries (http:\/\/[\d.:]+)/.exec(out)![1]!;
      expect((await getJson(`${countriesUrl}/v3.1/alpha?codes=PE&fields=cca2`)).body).toEqual([{ cca2: 'PE' }]);
      const response = await fetch(devSim.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{ weather(cities: ["Berlin", "Atlantis"]) { __typename ... on WeatherError { code } }
                    cities(names: ["Lima"]) { ... on City { airQuality { __typename } country { ... on Country { name } } } } }`,
        }),
      });
      expect((await response.json()).data).toEqual({
        weather: [{ __typename: 'CityWeather' }, { __typename: 'WeatherError', code: 'CITY_NOT_FOUND' }],
        cities: [{ airQuality: { __typename: 'AirQuality' }, country: { name: 'Peru' } }],
      });
    } finally {
      await devSim.stop();
    }
  }, 60_000);
});
