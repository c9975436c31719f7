import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { as } from './helpers/auth.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startWeatherHarness, WEATHER_QUERY, type WeatherHarness } from './helpers/weather.js';

let harness: WeatherHarness | undefined;
let gateway: TestGateway | undefined;
afterEach(async () => {
  await harness?.close();
  await gateway?.close();
  harness = gateway = undefined;
});

/** Geocoding cache look-ups: one per execution of a weather query for one city. */
const lookups = (g: TestGateway) => counterValue(g.metrics.cacheEvents, { cache: 'geocoding' });

/** Requests that waited for an identical one in flight. */
const joined = (g: TestGateway) => counterValue(g.metrics.cacheEvents, { cache: 'responses', event: 'joined' });

async function heldOslo() {
  harness = await startWeatherHarness();
  // The first call is held, so that the others surely arrive while it is in flight.
  harness.sim.setFaults([{ endpoint: 'geocoding', times: 1, fault: { kind: 'hold' } }]);
  return harness.gateway;
}

describe('identical anonymous queries in flight', () => {
  it('wait for the one being answered instead of executing again, and get its answer', async () => {
    const g = await heldOslo();
    const all = Promise.all(Array.from({ length: 5 }, () => g.query(WEATHER_QUERY, { cities: ['Oslo'] })));
    await expect.poll(() => joined(g), { timeout: 20_000 }).toBe(4);
    harness!.sim.release();
    const answers = await all;
    for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
    expect(answers[0]!.body.data.weather[0].__typename).toBe('CityWeather');
    expect(await lookups(g)).toBe(1);
    expect(harness!.sim.calls().geocoding).toBe(1);
  });

  it('are shared between signed-in requests too when they read nothing of the viewer', async () => {
    const g = await heldOslo();
    const headers = await as(await insertUser(g.database.db, { username: 'ada' }));
    const all = Promise.all(Array.from({ length: 3 }, () => g.query(WEATHER_QUERY, { cities: ['Oslo'] }, headers)));
    await expect.poll(() => joined(g), { timeout: 20_000 }).toBe(2);
    harness!.sim.release();
    const answers = await all;
    for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
    expect(await lookups(g)).toBe(1);
  });

  it('are not shared when signed in and they read the viewer', async () => {
    const g = await heldOslo();
    const headers = await as(await insertUser(g.database.db, { username: 'ada' }));
    const withViewer = 'query ($cities: [String!]!) { viewer { username } weather(cities: $cities) { __typename } }';
    const all = Promise.all(Array.from({ length: 3 }, () => g.query(withViewer, { cities: ['Oslo'] }, headers)));
    // Each executes: each looks the city up (the first call is out, the others join it).
    await expect.poll(() => lookups(g), { timeout: 20_000 }).toBe(3);
    harness!.sim.release();
    const answers = await all;
    for (const answer of answers) expect(answer.body.data.viewer).toEqual({ username: 'ada' });
    expect(await joined(g)).toBe(0);
  });

  it('are not shared when different', async () => {
    const g = await heldOslo();
    const both = Promise.all([g.query(WEATHER_QUERY, { cities: ['Oslo'] }), g.query(WEATHER_QUERY, { cities: ['oslo'] })]);
    await expect.poll(() => lookups(g), { timeout: 20_000 }).toBe(2);
    harness!.sim.release();
    await both;
    expect(await joined(g)).toBe(0);
  });

  it('never share a mutation', async () => {
    gateway = await startGateway();
    const signUp = 'mutation { signUp(input: { username: "grace", email: "grace@example.com", password: "long enough secret" }) { __typename } }';
    const results = await Promise.all([gateway.query(signUp), gateway.query(signUp)]);
    expect(results.map((result) => result.body.data.signUp.__typename).sort()).toEqual(['AuthPayload', 'ValidationError']);
  });

  it('are not joined by a request that arrives after a write', async () => {
    const g = await heldOslo();
    const ada = await insertUser(g.database.db, { username: 'ada' });
    await insertPost(g.database.db, { authorId: ada, title: 'first' });
    const both = '{ weather(cities: ["Oslo"]) { __typename } posts(first: 5) { edges { node { title } } } }';
    const first = g.query(both);
    await expect.poll(() => harness!.sim.held(), { timeout: 20_000 }).toBe(1);
    await insertPost(g.database.db, { authorId: ada, title: 'second' });
    const second = g.query(both);
    // The second executes on its own: it looks the city up too (and joins the held call there).
    await expect.poll(() => lookups(g), { timeout: 20_000 }).toBe(2);
    harness!.sim.release();
    expect((await second).body.data.posts.edges.map((edge: { node: { title: string } }) => edge.node.title)).toEqual(['second', 'first']);
    expect((await first).body.data.posts.edges).toHaveLength(1);
    expect(await joined(g)).toBe(0);
  });

  it('still get an answer of their own when the first one fails outright', async () => {
    gateway = await startGateway();
    await gateway.database.close();
    const answers = await Promise.all(Array.from({ length: 3 }, () => gateway!.query('{ users(first: 1) { totalCount } }')));
    for (const answer of answers) expect(answer.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });
});
