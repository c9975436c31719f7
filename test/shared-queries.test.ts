import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../plugins/metrics.js';
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

async function slowOslo() {
  harness = await startWeatherHarness();
  // The first call is slow, so that the others arrive while it is in flight.
  harness.sim.setFaults([{ endpoint: 'geocoding', times: 1, fault: { kind: 'latency', ms: 150 } }]);
  return harness.gateway;
}

describe('identical anonymous queries in flight', () => {
  it('wait for the one being answered instead of executing again, and get its answer', async () => {
    const g = await slowOslo();
    const answers = await Promise.all(Array.from({ length: 5 }, () => g.query(WEATHER_QUERY, { cities: ['Oslo'] })));
    for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
    expect(answers[0]!.body.data.weather[0].__typename).toBe('CityWeather');
    expect(await lookups(g)).toBe(1);
    expect(harness!.sim.calls().geocoding).toBe(1);
  });

  it('are not shared when they carry an Authorization header', async () => {
    const g = await slowOslo();
    const headers = await as(await insertUser(g.database.db, { username: 'ada' }));
    await Promise.all(Array.from({ length: 3 }, () => g.query(WEATHER_QUERY, { cities: ['Oslo'] }, headers)));
    expect(await lookups(g)).toBe(3);
  });

  it('are not shared when different', async () => {
    const g = await slowOslo();
    await Promise.all([g.query(WEATHER_QUERY, { cities: ['Oslo'] }), g.query(WEATHER_QUERY, { cities: ['oslo'] })]);
    expect(await lookups(g)).toBe(2);
  });

  it('never share a mutation', async () => {
    gateway = await startGateway();
    const signUp = 'mutation { signUp(input: { username: "grace", email: "grace@example.com", password: "long enough secret" }) { __typename } }';
    const results = await Promise.all([gateway.query(signUp), gateway.query(signUp)]);
    expect(results.map((result) => result.body.data.signUp.__typename).sort()).toEqual(['AuthPayload', 'ValidationError']);
  });

  it('are not joined by a request that arrives after a write', async () => {
    const g = await slowOslo();
    const ada = await insertUser(g.database.db, { username: 'ada' });
    await insertPost(g.database.db, { authorId: ada, title: 'first' });
    const both = '{ weather(cities: ["Oslo"]) { __typename } posts(first: 5) { edges { node { title } } } }';
    const first = g.query(both);
    while (harness!.sim.calls().geocoding === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await insertPost(g.database.db, { authorId: ada, title: 'second' });
    const second = await g.query(both);
    expect(second.body.data.posts.edges.map((edge: { node: { title: string } }) => edge.node.title)).toEqual(['second', 'first']);
    expect((await first).body.data.posts.edges).toHaveLength(1);
  });

  it('still get an answer of their own when the first one fails outright', async () => {
    gateway = await startGateway();
    await gateway.database.close();
    const answers = await Promise.all(Array.from({ length: 3 }, () => gateway!.query('{ users(first: 1) { totalCount } }')));
    for (const answer of answers) expect(answer.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });
});
