import { request as httpRequest } from 'node:http';
import { decodeGlobalID } from '@pothos/plugin-relay';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { postgres } from './helpers/databases.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { type ServerProcess, startServerProcess } from './helpers/server-process.js';
import { nginxAvailable, startNginx, type ThrowawayNginx } from './services/nginx.js';

// Three gateway processes on one PostgreSQL and one Redis, behind nginx (round robin), on the
// simulator: they act as one gateway. This is the set-up docs/deploy.md describes.

if (!nginxAvailable() && process.env.CI) throw new Error('CI=true but nginx is missing: install the nginx-light package (.ci/run does)');
const ready = postgres.available && sharedRedis !== null && nginxAvailable();
if (!ready) console.warn('\n[gatherql] nginx, PostgreSQL or Redis missing: the scale-out suite is SKIPPED\n');

const RATE_LIMIT = 30;
const POSTS = '{ posts(first: 50) { edges { node { id title } } } }';
const CREATE = 'mutation ($t: String!) { createPost(input: { title: $t, content: "words", published: true }) { ... on PostPayload { post { id } } } }';
const SIGN_UP =
  'mutation ($u: String!) { signUp(input: { username: $u, email: "load@example.com", password: "long enough secret" }) { ... on AuthPayload { token } } }';

interface Answer {
  status: number;
  body: any;
}

describe.skipIf(!ready)('three instances behind nginx, on one PostgreSQL and one Redis', () => {
  let databaseUrl: string;
  let sim: Simulator;
  let nginx: ThrowawayNginx;
  const ports: number[] = [];
  const instances: ServerProcess[] = [];
  let env: Record<string, string>;
  let nextClient = 0;
  /**
   * A client address of its own: a loopback address other than 127.0.0.1 (Linux routes all of
   * 127/8 to this host), which the request is sent from. nginx appends it to X-Forwarded-For
   * and the instances believe that address, as they would a real client's.
   */
  const newClient = () => `127.1.${Math.floor(nextClient / 250) % 250}.${(nextClient++ % 250) + 1}`;

  /** POSTs one operation from the address `from`, on a connection of its own. */
  const post = (
    base: string,
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
    from = newClient(),
  ): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ query, variables });
      const request = httpRequest(
        `${base}/graphql`,
        {
          method: 'POST',
          agent: false,
          localAddress: from,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('error', reject);
          // Read as text first: what nginx answers on a failure is an HTML page, not JSON.
          response.on('end', () => {
            try {
              resolve({ status: response.statusCode!, body: JSON.parse(text) });
            } catch {
              resolve({ status: response.statusCode!, body: text });
            }
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const instanceUrl = (index: number) => `http://127.0.0.1:${ports[index]}`;
  // A start compiles the TypeScript; on a busy machine that takes a while.
  // An instance listens first on the port the system gives it (a port found free beforehand may
  // be taken by the time it listens), and again on that port when restarted behind nginx.
  const start = async (index: number) => {
    const instance = await startServerProcess({ ...env, PORT: String(ports[index] ?? 0) }, 120_000);
    ports[index] = instance.port;
    return instance;
  };

  beforeAll(async () => {
    databaseUrl = await postgres.createDatabase();
    const redisUrl = redisDatabase('scale-out');
    await emptyRedis(redisUrl);
    sim = await startSimulator();
    env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      AUTH_SECRET: TEST_AUTH_SECRET,
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      TRUST_PROXY: 'true',
      OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
      OPEN_METEO_FORECAST_URL: sim.forecastUrl,
      OPEN_METEO_AIR_QUALITY_URL: sim.airQualityUrl,
      REST_COUNTRIES_URL: sim.countriesUrl,
      OPEN_METEO_QUOTA: 'off',
      // Calls held by the simulator must not time out however busy the machine.
      UPSTREAM_TIMEOUT_MS: '20000',
      REQUEST_DEADLINE_MS: '30000',
      SOCKET_TIMEOUT_S: '60',
    };
    // One after another: the first applies the migrations the others then find done.
    for (let index = 0; index < 3; index += 1) instances.push(await start(index));
    nginx = await startNginx(ports);
  }, 400_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const instance of instances) await instance?.stop('SIGTERM');
    await sim?.close();
    if (databaseUrl) await postgres.dropDatabase(databaseUrl);
  });

  it(`lets exactly ${RATE_LIMIT} requests of one client pass in total, whichever instance they reach`, async () => {
    const client = newClient();
    const statuses: number[] = [];
    // What the client writes in X-Forwarded-For itself changes nothing: nginx appends the address it saw.
    for (let n = 0; n < RATE_LIMIT + 10; n += 1)
      statuses.push((await post(nginx.url, '{ __typename }', {}, { 'x-forwarded-for': `10.0.0.${n}` }, client)).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(RATE_LIMIT);
    expect(statuses.slice(RATE_LIMIT).every((status) => status === 429)).toBe(true);
  });

  it('answers 30 concurrent requests for one cold city, spread over the instances, with 1 geocoding and 1 forecast call', async () => {
    sim.resetCalls();
    // Held until every instance has asked for it: then all of them are surely in flight together.
    sim.setFaults([{ fault: { kind: 'hold' } }]);
    const answers = Promise.all(Array.from({ length: 30 }, (_, n) => post(nginx.url, `{ weather(cities: ["${n % 2 ? 'Cairo' : 'cairo'}"]) { __typename } }`)));
    await expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(1);
    sim.release();
    for (const answer of await answers) expect(answer.body.data.weather).toEqual([{ __typename: 'CityWeather' }]);
    expect(sim.calls()).toMatchObject({ geocoding: 1, forecast: 1 });
  });

  it('shows a post created through one instance in the next posts answer of every instance (response cache on)', async () => {
    // Every instance has the answer in the shared response cache first.
    for (let index = 0; index < 3; index += 1) await post(instanceUrl(index), POSTS);
    const token = (await post(instanceUrl(1), SIGN_UP, { u: 'writer' })).body.data.signUp.token as string;
    const created = await post(instanceUrl(1), CREATE, { t: 'read your writes' }, { authorization: `Bearer ${token}` });
    const id = created.body.data.createPost.post.id;
    for (let index = 0; index < 3; index += 1) {
      const titles = (await post(instanceUrl(index), POSTS)).body.data.posts.edges.map((edge: any) => edge.node.id);
      expect(titles).toContain(id);
    }
  });

  it('loses no request and no write while each instance in turn is stopped (SIGTERM) and started again under load', async () => {
    const failures: string[] = [];
    const acknowledged: string[] = [];
    let running = true;
    let sent = 0;
    let writers = 0;
    /** A writer signs up, and writes less than its rate limit allows before the next one takes over. */
    const writer = async () => {
      writers += 1;
      const name = `writer${writers}`;
      const answer = await post(nginx.url, SIGN_UP.replace('load@', `${name}@`), { u: name });
      if (answer.status !== 200 || !answer.body.data?.signUp?.token) throw new Error(`HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
      return { token: answer.body.data.signUp.token as string, left: RATE_LIMIT - 5 };
    };
    const loop = async (worker: number) => {
      let current: { token: string; left: number } | null = null;
      while (running) {
        sent += 1;
        const write = sent % 2 === 0;
        try {
          if (write && (!current || current.left === 0)) current = await writer();
          if (write) current!.left -= 1;
          const answer = write
            ? await post(nginx.url, CREATE, { t: `load ${worker}-${sent}` }, { authorization: `Bearer ${current!.token}` })
            : await post(nginx.url, POSTS);
          if (answer.status !== 200 || answer.body.errors) failures.push(`HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
          else if (write) acknowledged.push(answer.body.data.createPost.post.id);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, (_, worker) => loop(worker)));
    for (let index = 0; index < 3; index += 1) {
      const before = sent;
      expect(await instances[index]!.stop('SIGTERM')).toBe(0);
      instances[index] = await start(index);
      await expect.poll(async () => (await fetch(`${instanceUrl(index)}/ready`)).status, { timeout: 20_000 }).toBe(200);
      // The load went on meanwhile.
      await expect.poll(() => sent, { timeout: 20_000 }).toBeGreaterThan(before + 20);
    }
    running = false;
    await load;
    // nginx's error log says why each request it answered itself failed.
    expect(failures, nginx.errorLog()).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(20);
    // Every acknowledged post is in the database.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const stored = new Set((await client.query<{ id: number }>('select id from posts')).rows.map((row) => Number(row.id)));
      expect(acknowledged.map((id) => Number(decodeGlobalID(id).id)).filter((id) => !stored.has(id))).toEqual([]);
      // And none twice: a request that an instance had read is never sent to another one.
      const twice = await client.query("select title from posts where title like 'load %' group by title having count(*) > 1");
      expect(twice.rows).toEqual([]);
    } finally {
      await client.end();
    }
  }, 400_000);
});
