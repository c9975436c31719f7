import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CurrentWeatherDocument } from '../client/generated/graphql.js';
import { counterValue } from '../metrics.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { as } from './helpers/auth.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { simulatorEnv, TEST_POLICY } from './helpers/weather.js';

// What HTTP caches in front of the gateway (a CDN, nginx's proxy_cache) are told they may keep.

const TTL_S = 300;
const WEATHER = '{ weather(cities: ["Paris"]) { __typename ... on CityWeather { temperatureC } } }';
const POSTS = '{ posts(first: 3) { edges { node { title } } } }';
const manifest = JSON.parse(readFileSync(new URL('../client/generated/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
const WEATHER_ID = (CurrentWeatherDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;

let gateway: TestGateway | undefined;
let sim: Simulator | undefined;
afterEach(async () => {
  await gateway?.close();
  await sim?.close();
  gateway = sim = undefined;
});

/** A gateway on the simulator and on a clock of the test's; `bundled`: without a REST Countries key, the bundled dataset answers. */
async function start({ bundled = false } = {}) {
  let now = Date.UTC(2026, 10, 25, 9);
  sim = await startSimulator();
  const { REST_COUNTRIES_API_KEY: key, ...env } = simulatorEnv(sim);
  gateway = await startGateway(
    { ...env, ...(!bundled && { REST_COUNTRIES_API_KEY: key }), WEATHER_CACHE_TTL_S: String(TTL_S), STALE_WHILE_REVALIDATE_S: '0' },
    { sources: { now: () => now, policy: TEST_POLICY } },
  );
  const ada = await insertUser(gateway.database.db, { username: 'ada' });
  await insertPost(gateway.database.db, { authorId: ada, title: 'first' });
  const g = gateway;
  const get = (search: string, headers: Record<string, string> = {}) => g.yoga.fetch(`http://gatherql.test/graphql?${search}`, { headers });
  return { g, get, ada: await as(ada), advance: (ms: number) => (now += ms) };
}

const query = (text: string) => new URLSearchParams({ query: text }).toString();
const caching = (response: Response) => ({
  cacheControl: response.headers.get('cache-control'),
  etag: response.headers.get('etag'),
  vary: response.headers.get('vary'),
});

describe('HTTP caching of anonymous GETs', () => {
  it('says public, max-age = how long the weather stays fresh, with an ETag of the bytes, once the answer may be kept', async () => {
    const { get, advance } = await start();
    // Fetched just now (LIVE): served again it would claim to be live, so no cache may keep it.
    expect(caching(await get(query(WEATHER)))).toEqual({ cacheControl: 'no-store', etag: null, vary: null });
    advance(100_500);
    const kept = await get(query(WEATHER));
    const body = await kept.text();
    const headers = caching(kept);
    expect(headers).toEqual({
      cacheControl: `public, max-age=${TTL_S - 101}`,
      etag: expect.stringMatching(/^"[\w-]{27}"$/),
      vary: 'Accept, Authorization, Origin',
    });
    // The same answer from the response cache: the same bytes and the same ETag, and less time left.
    advance(400);
    const again = await get(query(WEATHER));
    expect(await again.text()).toBe(body);
    expect(caching(again)).toEqual({ ...headers, cacheControl: `public, max-age=${TTL_S - 101}` });
    advance(1000);
    expect(caching(await get(query(WEATHER)))).toEqual({ ...headers, cacheControl: `public, max-age=${TTL_S - 102}` });
  });

  it('keeps an answer with a country of the bundled dataset as long as its other values stay fresh', async () => {
    const { get, advance } = await start({ bundled: true });
    const CITY =
      '{ cities(names: ["Paris"]) { __typename ... on City { weather { __typename } country { __typename ... on Country { freshness { state } } } } } }';
    expect(caching(await get(query(CITY)))).toMatchObject({ cacheControl: 'no-store' });
    advance(100_500);
    const kept = await get(query(CITY));
    expect(await kept.json()).toEqual({
      data: { cities: [{ __typename: 'City', weather: { __typename: 'CityWeather' }, country: { __typename: 'Country', freshness: { state: 'BUNDLED' } } }] },
    });
    expect(caching(kept)).toMatchObject({ cacheControl: `public, max-age=${TTL_S - 101}` });
  });

  it('answers 304 with no body to an If-None-Match that names the ETag, and the whole answer to any other', async () => {
    const { g, get, advance } = await start();
    await get(query(WEATHER));
    advance(1);
    const { etag } = caching(await get(query(WEATHER)));
    const before = await counterValue(g.metrics.cacheEvents, { cache: 'responses', event: 'hit' });
    const notModified = await get(query(WEATHER), { 'if-none-match': `"other", ${etag}` });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
    expect(caching(notModified)).toMatchObject({ etag, cacheControl: `public, max-age=${TTL_S - 1}` });
    expect(await counterValue(g.metrics.cacheEvents, { cache: 'responses', event: 'hit' })).toBe(before + 1);
    const changed = await get(query(WEATHER), { 'if-none-match': '"other"' });
    expect(changed.status).toBe(200);
    expect((await changed.json()).data.weather[0].__typename).toBe('CityWeather');
  });

  it('keeps SQL rows no longer than the response cache keeps answers', async () => {
    const { get } = await start();
    const first = await get(query(POSTS));
    expect(caching(first)).toMatchObject({ cacheControl: 'public, max-age=1', etag: expect.any(String) });
    // From the response cache, on the same clock: the same second left.
    expect(caching(await get(query(POSTS)))).toEqual(caching(first));
  });

  it('keeps a trusted document named by id like its text', async () => {
    const { get, advance } = await start();
    const byId = `documentId=${WEATHER_ID}&variables=${encodeURIComponent(JSON.stringify({ cities: ['Paris'] }))}`;
    expect(manifest[WEATHER_ID]).toBeDefined();
    expect(caching(await get(byId)).cacheControl).toBe('no-store');
    advance(1000);
    expect(caching(await get(byId)).cacheControl).toBe(`public, max-age=${TTL_S - 1}`);
  });

  it('says no-store for an answer with an error part, an error, or a value that failed', async () => {
    const { get, advance } = await start();
    await get(query(WEATHER));
    advance(TTL_S * 1000 + 1);
    sim!.setFaults([{ endpoint: 'forecast', fault: { kind: 'status', status: 503 } }]);
    // Past its time to live, and the forecast fails: a stale stand-in, already past its time.
    const stale = await get(query(WEATHER));
    expect((await stale.json()).data.weather[0]).toMatchObject({ __typename: 'CityWeather' });
    expect(caching(stale)).toEqual({ cacheControl: 'no-store', etag: null, vary: null });
    // Never fetched, and the forecast fails: a WeatherError beside a city that has its weather.
    const failed = await get(query(WEATHER.replace('"Paris"', '"Paris", "Rome"')));
    expect((await failed.json()).data.weather.map((item: { __typename: string }) => item.__typename)).toEqual(['CityWeather', 'WeatherError']);
    expect(caching(failed)).toEqual({ cacheControl: 'no-store', etag: null, vary: null });
    const invalid = await get(query('{ weather(cities: 1) { __typename } }'), { accept: 'application/graphql-response+json' });
    expect(invalid.status).toBe(400);
    expect(caching(invalid).cacheControl).toBe('no-store');
  });
});

describe('HTTP caching of anything else', () => {
  it('says private, no-store to every signed-in request, whether its answer came from the response cache or not', async () => {
    const { get, ada, advance } = await start();
    await get(query(WEATHER));
    advance(1);
    await get(query(WEATHER));
    for (const search of [query(WEATHER), query(POSTS), query('{ viewer { username } }')]) {
      const signedIn = await get(search, ada);
      expect(signedIn.status).toBe(200);
      expect(caching(signedIn)).toEqual({ cacheControl: 'private, no-store', etag: null, vary: null });
    }
    const refused = await get(query(WEATHER), { authorization: `${ada.authorization}x` });
    expect(refused.status).toBe(401);
    expect(caching(refused).cacheControl).toBe('private, no-store');
  });

  it('says nothing on a POST: HTTP caches keep none', async () => {
    const { g } = await start();
    for (let n = 0; n < 2; n += 1) {
      const response = await g.yoga.fetch('http://gatherql.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: POSTS }),
      });
      expect(response.status).toBe(200);
      expect(caching(response)).toEqual({ cacheControl: null, etag: null, vary: null });
    }
  });
});
