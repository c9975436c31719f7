import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { keepFor } from '../plugins/use-response-cache.js';
import { unlimitedLifetime } from '../resolvers/answer-lifetime.js';
import { as } from './helpers/auth.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { captureLogs } from './helpers/log-capture.js';
import { startSimulator } from '../simulator/simulator.js';
import { outcomes, simulatorEnv, startWeatherHarness, TEST_POLICY, WEATHER_QUERY, type WeatherHarness, type WeatherItem } from './helpers/weather.js';

const POSTS = '{ posts(first: 3) { edges { node { title author { username } } } } }';

let gateway: TestGateway | undefined;
let harness: WeatherHarness | undefined;
afterEach(async () => {
  await gateway?.close();
  await harness?.close();
  gateway = harness = undefined;
});

/** SQL statements the gateway sent while `work` ran. */
async function statementsDuring(g: TestGateway, work: () => Promise<unknown>): Promise<number> {
  const before = await counterValue(g.metrics.dbQueries, { origin: 'request' });
  await work();
  return (await counterValue(g.metrics.dbQueries, { origin: 'request' })) - before;
}

async function withPosts(env: Record<string, string> = {}) {
  gateway = await startGateway(env);
  const ada = await insertUser(gateway.database.db, { username: 'ada' });
  await insertPost(gateway.database.db, { authorId: ada, title: 'first' });
  return { g: gateway, ada };
}

const titles = (body: { data?: { posts: { edges: { node: { title: string } }[] } } }) => body.data!.posts.edges.map((edge) => edge.node.title);

describe('public response cache', () => {
  it('answers an identical anonymous query again without parsing, executing or SQL, and the same bytes', async () => {
    const { g } = await withPosts();
    const first = await g.query(POSTS);
    let again: Awaited<ReturnType<typeof g.query>> | undefined;
    expect(await statementsDuring(g, async () => (again = await g.query(POSTS)))).toBe(0);
    expect(again!.body).toEqual(first.body);
    expect(JSON.stringify(again!.body)).toBe(JSON.stringify(first.body));
    expect(again!.headers.get('server-timing')).not.toMatch(/\bdb;/);
    // A different document is a different answer.
    expect(await statementsDuring(g, () => g.query('{ posts(first: 2) { edges { node { title } } } }'))).toBeGreaterThan(0);
  });

  it('never answers a signed-in request that reads the viewer from the cache, nor keeps its answer; a bad token gets its 401', async () => {
    const { g, ada } = await withPosts();
    const headers = await as(ada);
    const mine = `{ viewer { username } ${POSTS.slice(1, -1)} }`;
    await g.query(mine);
    // The viewer, and the page of posts (whose author is the viewer, loaded already).
    expect(await statementsDuring(g, () => g.query(mine, {}, headers))).toBe(2);
    expect(await statementsDuring(g, () => g.query(mine, {}, headers))).toBe(2);
    const tampered = await g.query(POSTS, {}, { authorization: `${headers.authorization}x` });
    expect(tampered.status).toBe(401);
    expect(tampered.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('forgets every kept answer on a write, by a mutation or by anything else on the database', async () => {
    const { g, ada } = await withPosts();
    expect(titles((await g.query(POSTS)).body)).toEqual(['first']);
    const created = await g.query('mutation { createPost(input: { title: "second", content: "x", published: true }) { __typename } }', {}, await as(ada));
    expect(created.body.data.createPost.__typename).toBe('PostPayload');
    expect(titles((await g.query(POSTS)).body)).toEqual(['second', 'first']);
    await insertPost(g.database.db, { authorId: ada, title: 'third' });
    expect(titles((await g.query(POSTS)).body)).toEqual(['third', 'second', 'first']);
  });

  it('never keeps a mutation: the same anonymous signUp twice is executed twice', async () => {
    gateway = await startGateway();
    const signUp = 'mutation ($email: String!) { signUp(input: { username: "grace", email: $email, password: "long enough secret" }) { __typename } }';
    expect((await gateway.query(signUp, { email: 'grace@example.com' })).body.data.signUp.__typename).toBe('AuthPayload');
    expect((await gateway.query(signUp, { email: 'grace@example.com' })).body.data.signUp.__typename).toBe('ValidationError');
    expect((await gateway.query(signUp, { email: 'hopper@example.com' })).body.data.signUp.__typename).toBe('UsernameTakenError');
  });

  it('does not keep an answer whose request began before a write', async () => {
    harness = await startWeatherHarness();
    const g = harness.gateway;
    const ada = await insertUser(g.database.db, { username: 'ada' });
    await insertPost(g.database.db, { authorId: ada, title: 'first' });
    const both = `{ weather(cities: ["Oslo"]) { __typename } ${POSTS.slice(1, -1)} }`;
    harness.sim.setFaults([{ endpoint: 'forecast', times: 1, fault: { kind: 'hold' } }]);
    const slow = g.query(both);
    // Once the forecast call is held, the request is executing: write while it waits.
    await expect.poll(() => harness!.sim.held(), { timeout: 20_000 }).toBe(1);
    await insertPost(g.database.db, { authorId: ada, title: 'second' });
    harness.sim.release();
    expect(titles((await slow).body)).toEqual(['first']);
    expect(titles((await g.query(both)).body)).toEqual(['second', 'first']);
  });

  it('names the operation of an answer from the cache in the request log', async () => {
    const logs = captureLogs('info');
    gateway = await startGateway({}, { logger: logs.logger });
    await gateway.query('query LatestPosts { posts(first: 1) { totalCount } }');
    expect(await statementsDuring(gateway, () => gateway!.query('query LatestPosts { posts(first: 1) { totalCount } }'))).toBe(0);
    const names = logs
      .lines()
      .filter((line) => line.msg === 'request')
      .map((line) => line.operationName);
    expect(names).toEqual(['LatestPosts', 'LatestPosts']);
  });

  it('is off when the tuning says 0', async () => {
    gateway = await startGateway({}, { tuning: { responseTtlMs: 0 } });
    const g = gateway;
    await g.query(POSTS);
    expect(await statementsDuring(g, () => g.query(POSTS))).toBeGreaterThan(0);
  });
});

describe('public response cache and weather', () => {
  const TTL_S = 300;
  /** A simulator and a gateway on a clock of the test's, with the response cache allowed `responseTtlMs`. */
  async function withClock(responseTtlMs = 1000) {
    let now = Date.UTC(2026, 10, 25, 9);
    const sim = await startSimulator();
    const g = await startGateway(
      { ...simulatorEnv(sim), WEATHER_CACHE_TTL_S: String(TTL_S), STALE_WHILE_REVALIDATE_S: '0' },
      { sources: { now: () => now, policy: TEST_POLICY }, tuning: { responseTtlMs } },
    );
    const weather = async (cities: string[]): Promise<WeatherItem[]> => (await g.query(WEATHER_QUERY, { cities })).body.data.weather;
    harness = {
      sim,
      gateway: g,
      weather,
      query: (cities) => g.query(WEATHER_QUERY, { cities }),
      close: async () => {
        await g.close();
        await sim.close();
      },
    };
    return { advance: (ms: number) => (now += ms) };
  }
  const weatherEvents = async () => counterValue(harness!.gateway.metrics.cacheEvents, { cache: 'weather' });

  it('keeps an answer no longer than the weather it read stays fresh', async () => {
    // Ten minutes allowed: longer than the weather stays fresh.
    const clock = await withClock(600_000);
    await harness!.weather(['Paris']);
    // The first answer is LIVE: kept, it would later be served as LIVE when it no longer is.
    await harness!.weather(['Paris']);
    expect(await weatherEvents()).toBe(2);
    const events = await weatherEvents();
    clock.advance(TTL_S * 1000 - 1);
    await harness!.weather(['Paris']);
    expect(await weatherEvents()).toBe(events); // answered from the response cache
    clock.advance(1);
    const forecastsBefore = harness!.sim.calls().forecast;
    await harness!.weather(['Paris']);
    expect(harness!.sim.calls().forecast).toBe(forecastsBefore + 1);
  });

  it('never keeps a stale stand-in or a failure', async () => {
    const clock = await withClock();
    await harness!.weather(['Paris']);
    clock.advance(TTL_S * 1000 + 1);
    harness!.sim.setFaults([{ endpoint: 'forecast', fault: { kind: 'status', status: 503 } }]);
    expect((await harness!.weather(['Paris']))[0]!.stale).toBe(true);
    expect((await harness!.weather(['Paris']))[0]!.stale).toBe(true);
    expect(await counterValue(harness!.gateway.metrics.cacheEvents, { cache: 'weather', event: 'stale' })).toBe(2);

    expect(outcomes(await harness!.weather(['Rome']))).toEqual(['Rome: UPSTREAM_UNAVAILABLE']);
    harness!.sim.resetFaults();
    expect(outcomes(await harness!.weather(['Rome']))).toEqual(['Rome: ok']);
  });

  it('keeps a "not found" only once it comes from the cache, which keeps it for a while anyway', async () => {
    harness = await startWeatherHarness();
    const geocodingLookUps = () => counterValue(harness!.gateway.metrics.cacheEvents, { cache: 'geocoding' });
    await harness.weather(['Atlantis']);
    await harness.weather(['Atlantis']);
    expect(await geocodingLookUps()).toBe(2);
    await harness.weather(['Atlantis']);
    expect(await geocodingLookUps()).toBe(2);
  });

  it('computes how long an answer may be kept from both bounds', () => {
    const lifetime = unlimitedLifetime();
    expect(keepFor(1000, lifetime, 5)).toBe(1000);
    lifetime.until = 505;
    expect(keepFor(1000, lifetime, 5)).toBe(500);
    lifetime.until = 4;
    expect(keepFor(1000, lifetime, 5)).toBe(0);
  });
});
