import { afterEach, describe, expect, it } from 'vitest';
import { simAirQualityAt } from '../simulator/air-quality.js';
import { TRACE_CONTEXTS_KEPT } from '../simulator/calls.js';
import { findCityByName, findCityNear, SIM_CITIES, syntheticCity } from '../simulator/cities.js';
import { DEPRECATION_NOTICE } from '../simulator/countries-api.js';
import { DEMO_API_KEY, REVOKED_API_KEY, SIM_API_KEY } from '../simulator/countries-keys.js';
import { findCountry, SIM_COUNTRIES } from '../simulator/countries.js';
import { FaultBook } from '../simulator/faults.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { startDevSim } from './helpers/dev-sim-process.js';
import { README_FIRST_QUERY } from './helpers/readme.js';

let sim: Simulator;
afterEach(() => sim?.close());

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
};

const postFaults = (url: string, rules: unknown) =>
  fetch(`${url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) });

const AIR = 'current=us_aqi,european_aqi,pm2_5,pm10,ozone,nitrogen_dioxide';
const KEY = { authorization: `Bearer ${SIM_API_KEY}` };
/** GETs a countries path with the simulator's key. */
const countries = async (url: string, headers: Record<string, string> = KEY) => {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: await response.json() };
};
const codesOf = (body: { data: { objects: { codes: { alpha_2: string } }[] } }) => body.data.objects.map((country) => country.codes.alpha_2);

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
    await fetch(`${sim.countriesUrl}/countries/v5?limit=1`, { headers: KEY });
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
  it('lists every country in pages of v5: limit and offset, meta.more, and the real object shape', async () => {
    sim = await startSimulator();
    const first = await countries(`${sim.countriesUrl}/countries/v5?limit=100&offset=0`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, immutable, max-age=31556926');
    expect(first.body.data.meta).toEqual({ total: SIM_COUNTRIES.length, count: 100, limit: 100, offset: 0, more: true });
    expect(first.body.data.objects).toHaveLength(100);
    const last = await countries(`${sim.countriesUrl}/countries/v5?limit=100&offset=200`);
    expect(last.body.data.meta).toEqual({ total: SIM_COUNTRIES.length, count: SIM_COUNTRIES.length - 200, limit: 100, offset: 200, more: false });
    // About 250 countries: the whole list is 3 pages of 100, as at REST Countries.
    expect(SIM_COUNTRIES.length).toBeGreaterThan(200);
    expect(SIM_COUNTRIES.length).toBeLessThanOrEqual(300);
    const france = [...first.body.data.objects, ...last.body.data.objects].find((country) => country.codes.alpha_2 === 'FR');
    expect(france).toEqual({
      names: { common: 'France', official: 'French Republic', native: { fra: { official: 'République française', common: 'France' } } },
      codes: { alpha_2: 'FR', alpha_3: 'FRA' },
      capitals: [{ name: 'Paris' }],
      region: 'Europe',
      subregion: 'Western Europe',
      population: 66351959,
      currencies: [{ code: 'EUR', name: 'Euro', symbol: '€' }],
      languages: [{ name: 'French', iso639_3: 'fra' }],
      flag: { emoji: '🇫🇷', url_png: 'https://flagcdn.com/w320/fr.png', url_svg: 'https://flagcdn.com/fr.svg' },
    });
    const defaults = await countries(`${sim.countriesUrl}/countries/v5`);
    expect(defaults.body.data.meta).toMatchObject({ count: 25, limit: 25, offset: 0, more: true });
    expect(sim.calls()).toMatchObject({ countries: 3, countriesByPath: { '/countries/v5': 3 }, countriesOffsets: [0, 200, 0] });
  });

  it('trims every object to response_fields, dotted paths picking one part of an object', async () => {
    sim = await startSimulator();
    const some = await countries(`${sim.countriesUrl}/countries/v5?limit=2&response_fields=names.common,codes.alpha_2,flag.emoji,population`);
    expect(some.body.data.objects).toEqual(
      SIM_COUNTRIES.slice(0, 2).map((country) => ({
        names: { common: country.names.common },
        codes: { alpha_2: country.codes.alpha_2 },
        flag: { emoji: country.flag.emoji },
        population: country.population,
      })),
    );
  });

  it('wants a bearer key (or ?api-key=): 401 without, 401 for a revoked one, a notice and one sample for the demo key', async () => {
    sim = await startSimulator();
    const none = await countries(`${sim.countriesUrl}/countries/v5`, {});
    expect(none).toMatchObject({ status: 401, body: { errors: [{ message: expect.stringMatching(/API key is required/) }] } });
    expect((await countries(`${sim.countriesUrl}/countries/v5`, { authorization: `Bearer ${REVOKED_API_KEY}` })).status).toBe(401);
    expect((await countries(`${sim.countriesUrl}/countries/v5?api-key=${SIM_API_KEY}&limit=1`, {})).body.data.objects).toHaveLength(1);
    const demo = await countries(`${sim.countriesUrl}/countries/v5?limit=100`, { authorization: `Bearer ${DEMO_API_KEY}` });
    expect(demo.status).toBe(200);
    expect(demo.body.data).toMatchObject({ objects: [{ codes: { alpha_2: 'DE' } }], meta: { total: 1, more: false }, _demo: { message: expect.any(String) } });
    expect(sim.calls()).toMatchObject({ countries: 4, countriesUnauthorized: 2, countriesOffsets: [0] });
  });

  it('refuses a bad limit, offset or field with a 400 in its { errors } shape, before any fault', async () => {
    sim = await startSimulator({ faults: [{ endpoint: 'countries', fault: { kind: 'status', status: 503 } }] });
    for (const query of ['limit=0', 'limit=101', 'limit=ten', 'offset=-1', 'response_fields=names.common,area']) {
      const refused = await countries(`${sim.countriesUrl}/countries/v5?${query}`);
      expect(refused).toMatchObject({ status: 400, body: { errors: [{ message: expect.any(String) }] } });
    }
    expect((await countries(`${sim.countriesUrl}/countries/v5/nope`)).body).toEqual({ errors: [{ message: 'Not found: /countries/v5/nope' }] });
  });

  it('answers the retired versions with their deprecation notice, an HTTP 200 that holds no data', async () => {
    sim = await startSimulator();
    for (const path of ['/v3.1/alpha?codes=DE', '/v3.1/countries/v5?limit=100', '/v2/all', '/v3.1']) {
      expect(await countries(`${sim.countriesUrl}${path}`, {})).toMatchObject({ status: 200, body: DEPRECATION_NOTICE });
    }
    expect(sim.calls().countriesByPath).toEqual({ '/v3.1/alpha': 1, '/v3.1/countries/v5': 1, '/v2/all': 1, '/v3.1': 1 });
  });

  it('answers one country by code, the way a client that asks per code does', async () => {
    sim = await startSimulator();
    expect(codesOf((await countries(`${sim.countriesUrl}/countries/v5/codes.alpha_2/jp?response_fields=codes.alpha_2`)).body)).toEqual(['JP']);
    expect((await countries(`${sim.countriesUrl}/countries/v5/codes.alpha_2/ZZ`)).body.data).toMatchObject({ objects: [], meta: { total: 0, more: false } });
    expect(sim.calls().countriesByPath).toEqual({ '/countries/v5/codes.alpha_2/jp': 1, '/countries/v5/codes.alpha_2/ZZ': 1 });
  });

  it('knows the country of every simulated city, and territories with empty lists and subregions as the real data has', () => {
    for (const city of SIM_CITIES) expect(findCountry(city.countryCode)?.codes.alpha_2).toBe(city.countryCode);
    expect(findCountry(syntheticCity('Sim 1')!.countryCode)?.names.common).toBe('Simland');
    expect(findCountry('aq')).toMatchObject({ capitals: [], currencies: [], languages: [], subregion: '', flag: { emoji: '🇦🇶' } });
    expect(findCountry('ZA')?.capitals).toHaveLength(3);
    expect(new Set(SIM_COUNTRIES.map((country) => country.codes.alpha_2)).size).toBe(SIM_COUNTRIES.length);
  });
});

describe('faults and counts on the new endpoints', () => {
  it('fails a countries page that includes a named country, in REST Countries’ error shape, 429 with Retry-After too', async () => {
    sim = await startSimulator();
    const jpOffset = Math.floor(SIM_COUNTRIES.findIndex((country) => country.codes.alpha_2 === 'JP') / 100) * 100;
    const otherOffset = jpOffset === 0 ? 100 : 0;
    const rules = [{ endpoint: 'countries', country: 'jp', times: 1, fault: { kind: 'status', status: 429, retryAfterS: 2 } }];
    expect((await postFaults(sim.airQualityUrl, rules)).status).toBe(200);
    expect((await countries(`${sim.countriesUrl}/countries/v5?limit=100&offset=${otherOffset}`)).status).toBe(200);
    const limited = await countries(`${sim.countriesUrl}/countries/v5?limit=100&offset=${jpOffset}`);
    expect(limited).toMatchObject({ status: 429, body: { errors: [{ message: 'Simulated HTTP 429' }] } });
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await countries(`${sim.countriesUrl}/countries/v5?limit=100&offset=${jpOffset}`)).status).toBe(200);
    expect((await postFaults(sim.countriesUrl, [{ country: 'FRA', fault: { kind: 'hang' } }])).status).toBe(400);
  });

  it('corrupts only the named country’s entry, found by country or by one of its cities; without a target, the whole page', async () => {
    const url = () => `${sim.countriesUrl}/countries/v5?limit=100&offset=0&response_fields=codes.alpha_2,population`;
    const [first, second] = SIM_COUNTRIES.slice(0, 2).map((country) => country.codes.alpha_2);
    sim = await startSimulator({ faults: [{ country: first!, times: 1, fault: { kind: 'wrong-types' } }] });
    const byCountry = (await countries(url())).body.data.objects;
    expect(byCountry[0]).toMatchObject({ population: 'many', capitals: 'Berlin, Paris' });
    expect(byCountry[1]).toEqual({ codes: { alpha_2: second }, population: SIM_COUNTRIES[1]!.population });

    sim.setFaults([{ endpoint: 'countries', city: 'Tokyo', fault: { kind: 'wrong-types' } }]);
    const page = Math.floor(SIM_COUNTRIES.findIndex((country) => country.codes.alpha_2 === 'JP') / 100) * 100;
    const byCity = (await countries(`${sim.countriesUrl}/countries/v5?limit=100&offset=${page}&response_fields=codes.alpha_2,population`)).body.data.objects;
    expect(
      byCity
        .filter((entry: { population: unknown }) => typeof entry.population === 'string')
        .map((entry: { codes: { alpha_2: string } }) => entry.codes.alpha_2),
    ).toEqual(['JP']);

    sim.setFaults([{ endpoint: 'countries', fault: { kind: 'wrong-types' } }]);
    const whole = (await countries(url())).body.data;
    expect(whole.meta.more).toBe('maybe');
    expect(whole.objects.every((entry: { population: unknown }) => entry.population === 'many')).toBe(true);
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
    await fetch(`${sim.countriesUrl}/countries/v5?limit=100&offset=100`, { headers: KEY });
    await fetch(`${sim.countriesUrl}/countries/v5`);
    const expected = {
      geocoding: 1,
      forecast: 1,
      airQuality: 1,
      countries: 2,
      airQualityByCity: { Lima: 1, '10.5,20.25': 1 },
      countriesByPath: { '/countries/v5': 2 },
      airQualityBatchSizes: [2],
      countriesOffsets: [100],
      countriesUnauthorized: 1,
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
      countriesByPath: {},
      airQualityBatchSizes: [],
      countriesOffsets: [],
      countriesUnauthorized: 0,
    });
  });
});

describe('npm run dev:sim', () => {
  it('starts the gateway wired to the simulator, and every upstream flows end to end with no network', async () => {
    const devSim = await startDevSim();
    try {
      // The banner follows the log line that the helper waits for, and starts with GraphiQL's URL.
      await expect.poll(() => devSim.output(), { timeout: 20_000 }).toContain(`GraphiQL: ${devSim.url}\n`);
      const out = devSim.output();
      expect(out).toMatch(/cities\(names:/);
      const countriesUrl = /countries (http:\/\/[\d.:]+)/.exec(out)![1]!;
      // The simulated v5 wants a key, as the real one does.
      expect((await getJson(`${countriesUrl}/countries/v5`)).status).toBe(401);
      const response = await fetch(devSim.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{ weather(cities: ["Berlin", "Atlantis"]) { __typename ... on WeatherError { code } }
                    cities(names: ["Lima"]) { ... on City { airQuality { __typename } country { ... on Country { name freshness { state } } } } } }`,
        }),
      });
      expect((await response.json()).data).toEqual({
        weather: [{ __typename: 'CityWeather' }, { __typename: 'WeatherError', code: 'CITY_NOT_FOUND' }],
        cities: [{ airQuality: { __typename: 'AirQuality' }, country: { name: 'Peru', freshness: { state: 'LIVE' } } }],
      });
      // dev:sim gave the gateway a key that the simulator takes: the whole dataset in 3 pages, no call refused.
      expect((await getJson(`${countriesUrl}/__sim/calls`)).body).toMatchObject({ countries: 4, countriesOffsets: [0, 100, 200], countriesUnauthorized: 1 });

      // The README's first query: every part of each city answers.
      const first = await fetch(devSim.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: README_FIRST_QUERY }),
      });
      const { data, errors } = await first.json();
      expect(errors).toBeUndefined();
      expect(data.cities).toMatchObject([
        {
          __typename: 'City',
          weather: { temperatureC: expect.any(Number) },
          airQuality: { usAqi: expect.any(Number) },
          country: { name: 'Germany', flag: '🇩🇪' },
        },
        {
          __typename: 'City',
          weather: { temperatureC: expect.any(Number) },
          airQuality: { usAqi: expect.any(Number) },
          country: { name: 'France', capitals: ['Paris'] },
        },
        { __typename: 'CityError', code: 'CITY_NOT_FOUND' },
      ]);
    } finally {
      await devSim.stop();
    }
  }, 60_000);
});
