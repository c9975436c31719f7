import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentWeatherDocument } from '../client/generated/graphql.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { postgres } from './helpers/databases.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { type ServerProcess, startServerProcess } from './helpers/server-process.js';
import { simulatorEnv } from './helpers/weather.js';
import { nginxAvailable, startNginx, type ThrowawayNginx } from './services/nginx.js';

// Cache control on three instances on one PostgreSQL and one Redis, behind nginx with the
// proxy_cache recipe of docs/deploy.md: a purge through one is a purge of all, and nginx
// answers a kept answer again without reaching any of them.

const ready = postgres.available && sharedRedis !== null && nginxAvailable();
const WEATHER_ID = (CurrentWeatherDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;
const SIGN_UP = 'mutation { signUp(input: { username: "root", email: "root@example.com", password: "long enough secret" }) { ... on AuthPayload { token } } }';

describe.skipIf(!ready)('cache control on three instances behind nginx', () => {
  let databaseUrl: string;
  let redisUrl: string;
  let redis: Redis;
  let sim: Simulator;
  let nginx: ThrowawayNginx;
  const instances: ServerProcess[] = [];
  let admin: Record<string, string>;

  const post = async (base: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: unknown[] };
  };
  /** The weather of `city` through one instance: a document of the instance's own, so that it looks its caches up itself rather than read another's kept answer. */
  const weather = async (instance: ServerProcess, city: string) => {
    const alias = `at${instances.indexOf(instance)}`;
    const answer = await post(instance.url, `{ ${alias}: weather(cities: ["${city}"]) { __typename } }`);
    expect(answer.data).toEqual({ [alias]: [{ __typename: 'CityWeather' }] });
  };
  /** One counter of an instance's /metrics, summed over the label sets that hold `labels`. */
  const counter = async (instance: ServerProcess, name: string, labels: string) => {
    const text = await (await fetch(`${instance.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  };
  const calls = () => {
    const { geocoding, forecast } = sim.calls();
    return { geocoding, forecast };
  };

  beforeAll(async () => {
    databaseUrl = await postgres.createDatabase();
    redisUrl = redisDatabase('cache-control-scale-out');
    await emptyRedis(redisUrl);
    redis = new Redis(redisUrl);
    sim = await startSimulator();
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      AUTH_SECRET: TEST_AUTH_SECRET,
      RATE_LIMIT_PER_MINUTE: '0',
      TRUST_PROXY: 'true',
      ...simulatorEnv(sim),
    };
    // One after another: the first applies the migrations the others then find done. Each on the
    // port the system gives it as it listens: a port found free beforehand may be taken by then.
    for (let index = 0; index < 3; index += 1) instances.push(await startServerProcess(env));
    nginx = await startNginx(
      instances.map((instance) => instance.port),
      { cache: true },
    );
    const token = (await post(instances[0]!.url, SIGN_UP)).data.signUp.token as string;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`update users set role = 'ADMIN' where username = 'root'`);
    await client.end();
    admin = { authorization: `Bearer ${token}` };
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const instance of instances) await instance.stop('SIGTERM');
    redis?.disconnect();
    await sim?.close();
    if (databaseUrl) await postgres.dropDatabase(databaseUrl);
  });

  it('purges through one instance what every instance and the shared tier keep: the next look-ups of the place, on all three, make its calls once', async () => {
    // Pub/sub reaches only instances that listen: all three do before anything is purged.
    const channel = `gatherql:${new URL(redisUrl).pathname.slice(1)}:caches-purged`;
    await expect.poll(async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1], { timeout: 20_000 }).toBe(3);
    for (const instance of instances) await weather(instance, 'Paris');
    sim.resetCalls();
    const generation = async () => Number((await redis.get('gatherql:responses:generation')) ?? 0);
    const before = await generation();
    const purged = await post(instances[0]!.url, 'mutation { purgeCaches(input: { places: ["paris"] }) { purged } }', {}, admin);
    // This instance's entries and the shared tier's: Paris' geocoding and its weather, at least.
    expect(purged.data.purgeCaches.purged).toBeGreaterThanOrEqual(4);
    for (const instance of instances.slice(1)) {
      await expect.poll(() => counter(instance, 'gatherql_cache_purged_total', 'cache="weather"'), { timeout: 20_000 }).toBe(1);
    }
    // The kept answers moved to a new generation with the purge, and again as each other
    // instance dropped its entries: an answer one made meanwhile from its old entry is found by nobody.
    await expect.poll(generation, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 3);
    for (const instance of instances) await weather(instance, 'Paris');
    expect(calls()).toEqual({ geocoding: 1, forecast: 1 });
    // Elsewhere nothing changed.
    for (const instance of instances) await weather(instance, 'Paris');
    expect(calls()).toEqual({ geocoding: 1, forecast: 1 });
  });

  it("answers the second identical anonymous GET from nginx's cache (a HIT) without reaching any instance", async () => {
    const search = `/graphql?documentId=${WEATHER_ID}&variables=${encodeURIComponent(JSON.stringify({ cities: ['Lima'] }))}`;
    // Fetched once already, so that the GETs read it from the upstream cache (CACHED): a LIVE answer says no-store.
    await weather(instances[0]!, 'Lima');
    const reached = async () => {
      let total = 0;
      for (const instance of instances) total += await counter(instance, 'gatherql_http_request_duration_seconds_count', 'method="GET"');
      return total;
    };
    const first = await fetch(`${nginx.url}${search}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache-status')).toBe('MISS');
    expect(first.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    const body = await first.text();
    const before = await reached();
    const second = await fetch(`${nginx.url}${search}`);
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    expect(await second.text()).toBe(body);
    expect(await reached()).toBe(before);
    // A signed-in GET passes nginx's cache by, and is never kept.
    const signedIn = await fetch(`${nginx.url}${search}`, { headers: admin });
    expect(signedIn.headers.get('x-cache-status')).toBe('BYPASS');
    expect(signedIn.headers.get('cache-control')).toBe('private, no-store');
    expect(await reached()).toBe(before + 1);
  });

  it("passes an event stream (a subscription's GET) by nginx's cache, so that no other subscriber's waits on its lock", async () => {
    const stopped = new AbortController();
    const stream = await fetch(`${nginx.url}/graphql?query=${encodeURIComponent('subscription { postPublished { id } }')}`, {
      headers: { accept: 'text/event-stream' },
      signal: stopped.signal,
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.headers.get('x-cache-status')).toBe('BYPASS');
    } finally {
      stopped.abort();
    }
  });
});
