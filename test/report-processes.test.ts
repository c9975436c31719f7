import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { postgres } from './helpers/databases.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { type ServerProcess, startServerProcess } from './helpers/server-process.js';
import { TEST_TIMEOUT_MS } from './helpers/weather.js';
import { findPostgresBin, startPostgres, type ThrowawayPostgres } from './services/postgres.js';
import { findRedisServer, startRedis, type ThrowawayRedis } from './services/redis.js';
import { postOperation } from './helpers/graphql-post.js';

// City reports across real gateway processes: killed (kill -9), stopped (SIGTERM), taken over
// by another instance, and with PostgreSQL or Redis gone while a report runs. Reports of 30
// names in chunks of 10; the geocoding of the second chunk's "Sim <n+15>" is held by the
// simulator, so that the test knows a chunk is in flight when it acts.

const CHUNK = 10;
const NAMES = 30;
const names = (from: number) => Array.from({ length: NAMES }, (_, index) => `Sim ${from + index}`);

const START = /* GraphQL */ `mutation ($names: [String!]!) { startCityReport(input: { names: $names, parts: [WEATHER] }) { ... on CityReport { id } } }`;
const READ = /* GraphQL */ `query ($id: ID!) { cityReport(id: $id) { state done total rows(first: 100) { edges { node { position result { __typename ... on City { name } } } } } } }`;
const SIGN_UP = /* GraphQL */ `mutation ($u: String!) { signUp(input: { username: $u, email: "reports@example.com", password: "long enough secret" }) { ... on AuthPayload { token } } }`;

const gql = (base: string, query: string, variables: Record<string, unknown>, token?: string) => postOperation(`${base}/graphql`, query, variables, token);

let sim: Simulator | undefined;
const processes: ServerProcess[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async (context) => {
  for (const server of processes.splice(0)) {
    // A process that ended by itself is the story of a failure: its last words go with it.
    if (context.task.result?.state === 'fail' && server.child.exitCode !== null) console.error(server.stdout().slice(-2000), server.stderr().slice(-2000));
    if (server.child.exitCode === null && server.child.signalCode === null) await server.stop('SIGKILL');
  }
  await sim?.close();
  sim = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A gateway process on the simulator, with reports in chunks of CHUNK and quick takeovers. */
async function gateway(env: Record<string, string>) {
  const server = await startServerProcess(
    {
      OPEN_METEO_GEOCODING_URL: sim!.geocodingUrl,
      OPEN_METEO_FORECAST_URL: sim!.forecastUrl,
      OPEN_METEO_AIR_QUALITY_URL: sim!.airQualityUrl,
      REST_COUNTRIES_URL: sim!.countriesUrl,
      UPSTREAM_TIMEOUT_MS: String(TEST_TIMEOUT_MS),
      REQUEST_DEADLINE_MS: '60000',
      SOCKET_TIMEOUT_S: '120',
      OPEN_METEO_QUOTA: 'off',
      AUTH_SECRET: TEST_AUTH_SECRET,
      RATE_LIMIT_PER_MINUTE: '0',
      UPSTREAM_BUDGET_PER_MINUTE: '0',
      TEST_GATEWAY_OPTIONS: JSON.stringify({ jobs: { reportChunkSize: CHUNK, leaseMs: 2_000, pollMs: 200, lockMs: 2_000, stalledIntervalMs: 500 } }),
      ...env,
    },
    60_000,
    'tuned',
  );
  processes.push(server);
  return server;
}

/** Signs a user up, starts a report of NAMES names from `from` with the second chunk held, and waits until that chunk is in flight. */
async function startHeldReport(base: string, from: number) {
  const { signUp } = await gql(base, SIGN_UP, { u: `reporter${from}` });
  const token: string = signUp.token;
  sim!.setFaults([{ endpoint: 'geocoding', city: `Sim ${from + CHUNK + 5}`, fault: { kind: 'hold' } }]);
  const { startCityReport } = await gql(base, START, { names: names(from) }, token);
  await expect.poll(() => sim!.held(), { timeout: 60_000 }).toBe(1);
  const report = await gql(base, READ, { id: startCityReport.id }, token);
  expect(report.cityReport).toMatchObject({ state: 'RUNNING', done: CHUNK });
  return { token, id: startCityReport.id as string };
}

/** Lets held calls go, and every call through from now on. */
function releaseUpstream() {
  sim!.resetFaults();
  sim!.release();
}

/** Waits until the report has SUCCEEDED, and checks that it holds every row once, in input order. */
async function finishedWhole(base: string, token: string, id: string, from: number) {
  await expect.poll(async () => (await gql(base, READ, { id }, token)).cityReport.state, { timeout: 90_000, interval: 250 }).toBe('SUCCEEDED');
  const { cityReport } = await gql(base, READ, { id }, token);
  expect(cityReport).toMatchObject({ done: NAMES, total: NAMES });
  expect(cityReport.rows.edges.map((edge: any) => [edge.node.position, edge.node.result.name])).toEqual(names(from).map((name, index) => [index, name]));
}

describe('city reports on the embedded engine, in a gateway process on SQLite', { timeout: 180_000 }, () => {
  const databaseFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatherql-reports-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return `file:${join(dir, 'gatherql.sqlite')}`;
  };

  it('goes on after kill -9 mid-chunk, by itself once restarted, redoing one chunk at most', async () => {
    sim = await startSimulator({ syntheticNames: true });
    const env = { DATABASE_URL: databaseFile() };
    const first = await gateway(env);
    const { token, id } = await startHeldReport(first.url, 1000);
    await first.stop('SIGKILL');
    releaseUpstream();
    const second = await gateway(env);
    await finishedWhole(second.url, token, id, 1000);
    // Chunk 1 once, chunk 2 twice (cut by the kill, then whole), chunk 3 once.
    expect(sim.calls().geocoding).toBeGreaterThanOrEqual(NAMES);
    expect(sim.calls().geocoding).toBeLessThanOrEqual(NAMES + CHUNK);
  });

  it('on SIGTERM gives the chunk in flight back, exits 0, and the next process finishes the report', async () => {
    sim = await startSimulator({ syntheticNames: true });
    const env = { DATABASE_URL: databaseFile() };
    const first = await gateway(env);
    const { token, id } = await startHeldReport(first.url, 2000);
    expect(await first.stop('SIGTERM')).toBe(0);
    releaseUpstream();
    const second = await gateway(env);
    await finishedWhole(second.url, token, id, 2000);
    expect(sim.calls().geocoding).toBeLessThanOrEqual(NAMES + CHUNK);
  });
});

const bullmqReady = postgres.available && sharedRedis !== null;
describe.skipIf(!bullmqReady)('city reports on BullMQ, two gateway processes on PostgreSQL and Redis', { timeout: 180_000 }, () => {
  it('is taken over by the other instance when the one running it is killed', async () => {
    sim = await startSimulator({ syntheticNames: true });
    const databaseUrl = await postgres.createDatabase();
    cleanups.push(() => postgres.dropDatabase(databaseUrl));
    const redisUrl = redisDatabase('report-processes');
    await emptyRedis(redisUrl);
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl };
    const first = await gateway(env);
    const { token, id } = await startHeldReport(first.url, 3000);
    const second = await gateway(env);
    await first.stop('SIGKILL');
    releaseUpstream();
    await finishedWhole(second.url, token, id, 3000);
    expect(sim.calls().geocoding).toBeLessThanOrEqual(NAMES + CHUNK);
  });
});

const postgresBin = findPostgresBin();
describe.skipIf(!postgresBin)('a city report while its PostgreSQL is away', { timeout: 180_000 }, () => {
  it('pauses, and goes on once the database is back, with no row lost or written twice', async () => {
    sim = await startSimulator({ syntheticNames: true });
    const server: ThrowawayPostgres = await startPostgres(postgresBin!);
    cleanups.push(() => server.stop());
    const gatewayProcess = await gateway({ DATABASE_URL: server.url });
    const { token, id } = await startHeldReport(gatewayProcess.url, 4000);
    server.pause();
    releaseUpstream();
    // The chunk is gathered, but its checkpoint cannot be written: nothing is, until the database is back.
    await expect.poll(() => sim!.calls().forecast, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    server.resume();
    await finishedWhole(gatewayProcess.url, token, id, 4000);
  });
});

const redisBin = findRedisServer();
describe.skipIf(!redisBin || !postgres.available)('a city report on BullMQ while Redis is away', { timeout: 180_000 }, () => {
  it('goes on: its rows and progress live in SQL, and nothing is written twice when Redis is back', async () => {
    sim = await startSimulator({ syntheticNames: true });
    const databaseUrl = await postgres.createDatabase();
    cleanups.push(() => postgres.dropDatabase(databaseUrl));
    let redis: ThrowawayRedis = await startRedis(redisBin!);
    cleanups.push(() => redis.stop());
    const gatewayProcess = await gateway({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url });
    const { token, id } = await startHeldReport(gatewayProcess.url, 5000);
    await redis.stop();
    releaseUpstream();
    await finishedWhole(gatewayProcess.url, token, id, 5000);
    redis = await startRedis(redisBin!, redis.port);
    await finishedWhole(gatewayProcess.url, token, id, 5000);
  });
});
