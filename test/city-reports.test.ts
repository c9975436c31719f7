import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGlobalID } from '@pothos/plugin-relay';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { LOCATION_BATCH_CAP } from '../sources/open-meteo/service.js';
import type { GatewayOptions } from '../gateway.js';
import { as } from './helpers/auth.js';
import { postgres, sqlite } from './helpers/databases.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { useDatabase } from './helpers/db-suite.js';
import { insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { CANCEL_REPORT, readReport, reportInState, START_REPORT, startReport } from './helpers/reports.js';
import { simulatorEnv, TEST_POLICY } from './helpers/weather.js';
import { SIM_CITIES } from '../simulator/cities.js';
import { openDatabase } from '../db/connect.js';
import { BACKGROUND_NICE } from '../sources/kit/background-thread.js';
import { threadsAtNice } from './helpers/thread-nice.js';

// Where this process runs at a higher priority than BACKGROUND_NICE, the report's thread shows by its nice value.
const threadShows = process.platform === 'linux' && getPriority() < BACKGROUND_NICE;
import { migrateToLatest } from '../db/migrate.js';
import { timestamp } from '../db/records.js';
import { retryDelayMs } from '../jobs/engine.js';
import { sql } from 'kysely';

async function emptySchedules(url: string) {
  const handle = openDatabase(url);
  try {
    await migrateToLatest(handle.db);
    await handle.db.deleteFrom('schedules').execute();
  } finally {
    await handle.close();
  }
}

// City reports on the embedded job engine on SQLite and PostgreSQL, and on BullMQ, against the simulator:
// what a report gathers and how many calls it costs, its pacing under the quota, its chunks
// and checkpoints, cancelling, and who may see what.

/** `count` names no cache has seen (the simulator places `Sim <n>` anywhere). */
const fresh = (from: number, count: number) => Array.from({ length: count }, (_, index) => `Sim ${from + index}`);

const calls = (sim: Simulator) => {
  const { geocoding, forecast, airQuality, countries } = sim.calls();
  return { geocoding, forecast, airQuality, countries };
};

/** Where reports run: the embedded engine on each database, and BullMQ on Redis (the reports in PostgreSQL). */
const ENGINES = [
  { name: 'SQLite', dialect: sqlite, bullmq: false },
  { name: 'PostgreSQL', dialect: postgres, bullmq: false },
  { name: 'PostgreSQL, jobs on BullMQ', dialect: postgres, bullmq: true },
];

describe.each(ENGINES)('city reports on $name', ({ dialect, bullmq }) => {
  const available = dialect.available && (!bullmq || sharedRedis !== null);
  // BullMQ waits on the wall clock: the tests that move a clock of their own run on the embedded engine.
  const onTestClock = !available || bullmq;
  const database = useDatabase(dialect);
  let sim: Simulator | undefined;
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    await sim?.close();
    gateway = undefined;
    sim = undefined;
  });

  /** A gateway on the simulator with two users (owner and stranger) and an admin; reports run with a quick poll. */
  const start = async (env: Record<string, string> = {}, options: GatewayOptions = {}) => {
    sim = await startSimulator({ syntheticNames: true });
    // The schedules' book outlives the gateways on one database: each test starts with its own.
    if (dialect.name === 'postgres') await emptySchedules(database.url);
    const redis = bullmq ? redisDatabase('city-reports') : null;
    if (redis) await emptyRedis(redis);
    gateway = await startGateway(
      { DATABASE_URL: database.url, ...simulatorEnv(sim), ...(redis && { REDIS_URL: redis }), ...env },
      { seed: false, ...options, sources: { policy: TEST_POLICY, ...options.sources }, jobs: { pollMs: 50, ...options.jobs } },
    );
    // BullMQ runs a schedule once as soon as it is first made (the countries refresh calls REST
    // Countries): what a test counts starts after.
    if (bullmq) {
      await expect.poll(async () => (await gateway!.jobs.schedules()).every((schedule) => schedule.lastOutcome !== null), { timeout: 30_000 }).toBe(true);
      sim.resetCalls();
    }
    const db = gateway.database.db;
    await db.deleteFrom('city_report_rows').execute();
    await db.deleteFrom('city_reports').execute();
    await db.deleteFrom('jobs').execute();
    await db.deleteFrom('users').execute();
    const owner = await as(await insertUser(db, { username: 'owner' }));
    const stranger = await as(await insertUser(db, { username: 'stranger' }));
    const admin = await as(await insertUser(db, { username: 'boss', role: 'ADMIN' }));
    return { gateway, sim, owner, stranger, admin };
  };

  it.skipIf(!available)('refuses an anonymous start, and no names or too many, recording nothing', async () => {
    const { gateway, owner } = await start({ REPORT_MAX_CITIES: '30' });
    const anonymous = await gateway.query(START_REPORT, { input: { names: ['Paris'] } });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (const [names, message] of [
      [[], 'name at least one place'],
      [fresh(0, 31), 'must name at most 30 places (got 31)'],
    ] as const) {
      const response = await gateway.query(START_REPORT, { input: { names } }, owner);
      expect(response.body.data.startCityReport).toEqual({
        __typename: 'ValidationError',
        message: `Invalid input: ${message}`,
        fields: [{ path: ['input', 'names'], message }],
      });
    }
    expect(await gateway.database.db.selectFrom('city_reports').selectAll().execute()).toEqual([]);
    expect(await gateway.database.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it.skipIf(!available)('takes up to REPORT_MAX_CITIES names by default, 5000', async () => {
    const { gateway, owner } = await start();
    const response = await gateway.query(START_REPORT, { input: { names: fresh(0, 5001) } }, owner);
    expect(response.body.data.startCityReport.fields).toEqual([{ path: ['input', 'names'], message: 'must name at most 5000 places (got 5001)' }]);
  });

  it.skipIf(!available)('asks only the APIs of the parts selected', async () => {
    const { gateway, sim, owner } = await start();
    const report = await startReport(gateway, owner, { names: fresh(600, 30), parts: ['AIR_QUALITY'] });
    await reportInState(gateway, owner, report.id, ['SUCCEEDED']);
    expect(calls(sim)).toEqual({ geocoding: 30, forecast: 0, airQuality: Math.ceil(30 / LOCATION_BATCH_CAP), countries: 0 });
  });

  it.skipIf(!available)(
    `gathers N new names with N geocoding calls and each place once to each selected part, in batches of ${LOCATION_BATCH_CAP}; rows in input order`,
    async () => {
      const { gateway, sim, owner } = await start();
      const names = [...fresh(0, 25), 'Atlantis', ' ', 'SIM 0'];
      const report = await startReport(gateway, owner, { names, parts: ['WEATHER'] });
      expect(report).toMatchObject({ state: 'QUEUED', total: 28, done: 0 });
      const done = await reportInState(gateway, owner, report.id, ['SUCCEEDED']);
      // 26 distinct names to place (the blank one is invalid, "SIM 0" is "Sim 0" again), 25 of them found.
      const expected = { geocoding: 26, forecast: Math.ceil(25 / LOCATION_BATCH_CAP), airQuality: 0, countries: 0 };
      expect(calls(sim)).toEqual(expected);
      expect(done).toMatchObject({ total: 28, done: 28, upstreamCalls: expected.geocoding + expected.forecast, failure: null });
      const rows = (await readReport(gateway, owner, report.id, { first: 100 })).rows.edges.map((edge: any) => edge.node);
      expect(rows.map((row: any) => row.position)).toEqual(names.map((_, index) => index));
      expect(rows.map((row: any) => [row.result.__typename, row.result.name, row.result.code ?? row.result.weather.__typename])).toEqual([
        ...fresh(0, 25).map((name) => ['City', name, 'CityWeather']),
        ['CityError', 'Atlantis', 'CITY_NOT_FOUND'],
        ['CityError', ' ', 'INVALID_CITY'],
        ['City', 'SIM 0', 'CityWeather'],
      ]);
      // Parts not gathered by the report are looked up as `cities` would, when a query asks.
      expect(rows[0].result.airQuality.__typename).toBe('AirQuality');
      expect(calls(sim)).toEqual({ ...expected, airQuality: Math.ceil(25 / LOCATION_BATCH_CAP) });
      // Each row is what `cities` answers for its name, as it was when gathered.
      const now = await gateway.query(
        'query ($n: [String!]!) { cities(names: $n) { ... on City { weather { ... on CityWeather { temperatureC conditions observedAt freshness { state } } } } } }',
        {
          n: ['Sim 3'],
        },
      );
      const { freshness, ...weather } = now.body.data.cities[0].weather;
      expect(freshness.state).toBe('CACHED');
      expect(rows[3].result.weather).toMatchObject({ ...weather, freshness: { state: 'LIVE' } });
    },
  );

  it.skipIf(!available)(
    'sends backgroundInFlight report calls at most, from the background thread, and a request meanwhile does not wait behind them',
    async () => {
      const threadsBefore = threadsAtNice(BACKGROUND_NICE);
      const { gateway, sim, owner } = await start({}, { jobs: { backgroundInFlight: 3 } });
      sim.setFaults([{ endpoint: 'geocoding', fault: { kind: 'hold' } }]);
      const report = await startReport(gateway, owner, { names: fresh(700, 20), parts: ['WEATHER'] });
      await expect.poll(() => sim.held(), { timeout: 30_000 }).toBe(3);
      // The thread the report's attempts are sent from (Linux shows it by its priority), there only while the gateway is.
      if (threadShows) expect(threadsAtNice(BACKGROUND_NICE)).toBe(threadsBefore + 1);
      // The request's own look-ups reach the upstream while the report's other 17 still wait their turn.
      const asked = fresh(800, 2);
      const answer = gateway.query('query ($n: [String!]!) { cities(names: $n) { ... on City { weather { __typename } } } }', { n: asked });
      // (The simulator counts names as the gateway sends them: in lower case.)
      await expect.poll(() => asked.every((name) => sim.calls().geocodingByName[name.toLowerCase()] === 1), { timeout: 30_000 }).toBe(true);
      expect(sim.calls().geocoding).toBe(5);
      expect(sim.held()).toBe(5);
      sim.release();
      expect((await answer).body.data.cities).toEqual([{ weather: { __typename: 'CityWeather' } }, { weather: { __typename: 'CityWeather' } }]);
      await reportInState(gateway, owner, report.id, ['SUCCEEDED']);
      expect(sim.calls().geocoding).toBe(22);
      await gateway.close();
      if (threadShows) expect(threadsAtNice(BACKGROUND_NICE)).toBe(threadsBefore);
    },
  );

  it.skipIf(!available)('checkpoints chunk by chunk: progress moves by whole chunks, the final state last', async () => {
    const { gateway, owner } = await start({}, { jobs: { reportChunkSize: 10 } });
    const seen: { state: string; done: number }[] = [];
    const report = await startReport(gateway, owner, { names: fresh(100, 25), parts: ['WEATHER'] });
    const id = Number(Buffer.from(report.id, 'base64').toString().split(':')[1]);
    const events = gateway.events.subscribe('report-updated', id);
    const heard = (async () => {
      for await (const event of events) {
        seen.push({ state: event.state, done: event.done });
        if (event.state === 'SUCCEEDED') return;
      }
    })();
    await reportInState(gateway, owner, report.id, ['SUCCEEDED']);
    await heard;
    // The run may have begun before the subscription: what was heard is the tail of the full story.
    const story = [
      { state: 'RUNNING', done: 0 },
      { state: 'RUNNING', done: 10 },
      { state: 'RUNNING', done: 20 },
      { state: 'RUNNING', done: 25 },
      { state: 'SUCCEEDED', done: 25 },
    ];
    expect(story.slice(story.length - seen.length)).toEqual(seen);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const rows = await gateway.database.db.selectFrom('city_report_rows').select('position').orderBy('position').execute();
    expect(rows.map((row) => row.position)).toEqual(fresh(0, 25).map((_, index) => index));
  });

  it.skipIf(!available)('keeps an upstream that fails one chunk to that chunk: its places get their error rows, the report goes on', async () => {
    const { gateway, sim, owner } = await start({}, { jobs: { reportChunkSize: 10 } });
    // The forecast call of the second chunk (ten real cities, Paris among them) fails however often it is tried.
    sim.setFaults([{ endpoint: 'forecast', city: 'Paris', fault: { kind: 'status', status: 503 } }]);
    const names = [...fresh(200, 10), ...SIM_CITIES.slice(0, 10).map((city) => city.name), ...fresh(210, 10)];
    expect(names.slice(10)).toContain('Paris');
    const report = await startReport(gateway, owner, { names, parts: ['WEATHER'] });
    const done = await reportInState(gateway, owner, report.id, ['SUCCEEDED'], 100);
    const codes = done.rows.edges.map((edge: any) => (edge.node.result.weather.__typename === 'CityWeather' ? 'ok' : edge.node.result.weather.code));
    expect(codes).toEqual([...Array(10).fill('ok'), ...Array(10).fill('UPSTREAM_UNAVAILABLE'), ...Array(10).fill('ok')]);
  });

  it.skipIf(onTestClock)(
    'paces itself under REPORT_QUOTA_SHARE: waits for the window instead of failing places, while requests are served from the rest',
    async () => {
      const clock = { now: Date.parse('2026-12-05T10:00:10.000Z') };
      // 40 units a minute, 20 of them for background work: the report's 12 geocoding calls fit,
      // its forecast batch of 12 does not (12 + 12 > 20) until the next minute.
      const { gateway, sim, owner } = await start({ OPEN_METEO_QUOTA: '40/minute', REPORT_QUOTA_SHARE: '0.5' }, { sources: { now: () => clock.now } });
      const report = await startReport(gateway, owner, { names: fresh(300, 12), parts: ['WEATHER'] });
      const waiting = await reportInState(gateway, owner, report.id, ['WAITING_FOR_QUOTA']);
      expect(waiting).toMatchObject({ done: 0, resumesAt: '2026-12-05T10:01:00.000Z', upstreamCalls: 12 });
      expect(calls(sim)).toMatchObject({ geocoding: 12, forecast: 0 });
      // A request meanwhile spends from the rest of the window, and is answered.
      const request = await gateway.query('{ weather(cities: ["Paris"]) { __typename } }');
      expect(request.body.data.weather).toEqual([{ __typename: 'CityWeather' }]);
      clock.now = Date.parse('2026-12-05T10:01:00.500Z');
      const done = await reportInState(gateway, owner, report.id, ['SUCCEEDED'], 100);
      // The places already placed cost nothing more: one forecast batch for the twelve.
      expect(calls(sim)).toMatchObject({ geocoding: 13, forecast: 2 });
      expect(done).toMatchObject({ done: 12, upstreamCalls: 13, resumesAt: null });
      const codes = done.rows.edges.map((edge: any) => edge.node.result.weather.__typename);
      expect(codes).toEqual(Array(12).fill('CityWeather'));
    },
  );

  it.skipIf(onTestClock || dialect !== sqlite)(
    'ends CANCELLED, not paused, a report whose cancel came between its checkpoint and its pause for quota',
    async () => {
      const clock = { now: Date.parse('2026-12-05T10:00:10.000Z') };
      // As in the test above: the chunk's forecast batch is refused for quota, so the run checkpoints, then pauses.
      // A file, which a second connection can open.
      const folder = mkdtempSync(join(tmpdir(), 'gatherql-report-'));
      const file = join(folder, 'gatherql.db');
      const { gateway, owner } = await start(
        { DATABASE_URL: `file:${file}`, OPEN_METEO_QUOTA: '40/minute', REPORT_QUOTA_SHARE: '0.5' },
        { sources: { now: () => clock.now } },
      );
      // The cancel's flag lands at the one moment in between: as the checkpoint is told (the
      // run writes its pause next), through a connection of its own, before the run goes on.
      const direct = new SqliteDatabase(file);
      const publish = gateway.events.publish;
      let flagged = 0;
      gateway.events.publish = ((topic: string, id: number, report: { state: string; upstreamCalls: number }) => {
        if (topic === 'report-updated' && report.state === 'RUNNING' && report.upstreamCalls > 0) {
          flagged += direct.prepare("UPDATE city_reports SET cancel_requested = 1 WHERE id = ? AND state = 'RUNNING'").run(id).changes;
        }
        return (publish as (...args: unknown[]) => void)(topic, id, report);
      }) as typeof publish;
      try {
        const report = await startReport(gateway, owner, { names: fresh(700, 12), parts: ['WEATHER'] });
        const ended = await reportInState(gateway, owner, report.id, ['CANCELLED', 'WAITING_FOR_QUOTA']);
        expect(flagged).toBe(1);
        expect(ended).toMatchObject({ state: 'CANCELLED', done: 0, resumesAt: null });
        // Nothing is left to run it again.
        await expect.poll(() => gateway.jobs.counts().then((counts) => counts.queued + counts.running), { timeout: 30_000 }).toBe(0);
      } finally {
        direct.close();
        await gateway.close();
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(onTestClock)('cancels a report, and tells its watchers, though its job engine cannot be told (Redis away)', async () => {
    const clock = { now: Date.parse('2026-12-05T10:00:10.000Z') };
    const { gateway, owner } = await start({ OPEN_METEO_QUOTA: '40/minute', REPORT_QUOTA_SHARE: '0.5' }, { sources: { now: () => clock.now } });
    const report = await startReport(gateway, owner, { names: fresh(800, 12), parts: ['WEATHER'] });
    await reportInState(gateway, owner, report.id, ['WAITING_FOR_QUOTA']);
    gateway.jobs.cancel = async () => {
      throw new Error('Redis did not answer within 2000 ms');
    };
    const told: string[] = [];
    const publish = gateway.events.publish;
    gateway.events.publish = ((topic: string, id: number, update: { state: string }) => {
      if (topic === 'report-updated') told.push(update.state);
      return (publish as (...args: unknown[]) => void)(topic, id, update);
    }) as typeof publish;
    const cancelled = await gateway.query(CANCEL_REPORT, { id: report.id }, owner);
    expect(cancelled.body.errors).toBeUndefined();
    expect(cancelled.body.data.cancelCityReport).toMatchObject({ __typename: 'CityReport', state: 'CANCELLED' });
    expect(told).toEqual(['CANCELLED']);
    // Its job, still in the engine, runs when the window reopens, and is refused: the report stays cancelled.
    clock.now = Date.parse('2026-12-05T10:01:00.500Z');
    await expect.poll(() => gateway.jobs.counts().then((counts) => counts.queued + counts.running), { timeout: 30_000 }).toBe(0);
    expect(await readReport(gateway, owner, report.id)).toMatchObject({ state: 'CANCELLED', done: 0 });
  });

  it.skipIf(onTestClock)('pauses for an upstream 429 too, and goes on by itself', async () => {
    const clock = { now: Date.parse('2026-12-05T10:00:10.000Z') };
    const { gateway, sim, owner } = await start({ OPEN_METEO_QUOTA: '600/minute' }, { sources: { now: () => clock.now } });
    sim.setFaults([
      {
        endpoint: 'forecast',
        times: 1,
        fault: { kind: 'status', status: 429, reason: 'Minutely API request limit exceeded. Please try again in one minute.' },
      },
    ]);
    const report = await startReport(gateway, owner, { names: fresh(400, 5), parts: ['WEATHER'] });
    const waiting = await reportInState(gateway, owner, report.id, ['WAITING_FOR_QUOTA']);
    expect(waiting).toMatchObject({ done: 0, resumesAt: '2026-12-05T10:01:00.000Z' });
    clock.now = Date.parse('2026-12-05T10:01:01.000Z');
    const done = await reportInState(gateway, owner, report.id, ['SUCCEEDED'], 100);
    expect(done.rows.edges.map((edge: any) => edge.node.result.weather.__typename)).toEqual(Array(5).fill('CityWeather'));
  });

  it.skipIf(!available)('lets a user have REPORTS_ACTIVE_PER_USER reports at once, shows a report to its owner and admins only', async () => {
    const { gateway, sim, owner, stranger, admin } = await start({ REPORTS_ACTIVE_PER_USER: '2' });
    sim.setFaults([{ endpoint: 'geocoding', fault: { kind: 'hold' } }]);
    const first = await startReport(gateway, owner, { names: ['Paris'] });
    const second = await startReport(gateway, owner, { names: ['Rome'] });
    await reportInState(gateway, owner, second.id, ['RUNNING']);
    const third = await gateway.query(START_REPORT, { input: { names: ['Oslo'] } }, owner);
    expect(third.body.data.startCityReport.__typename).toBe('ValidationError');
    expect(third.body.data.startCityReport.message).toMatch(/you have 2 reports queued or running/);
    // Another user's report does not exist for them, and they may not cancel it.
    expect(await readReport(gateway, stranger, first.id)).toBeNull();
    const node = await gateway.query('query ($id: ID!) { node(id: $id) { id } }', { id: first.id }, stranger);
    expect(node.body.data.node).toBeNull();
    const refused = await gateway.query(CANCEL_REPORT, { id: first.id }, stranger);
    expect(refused.body.data.cancelCityReport.__typename).toBe('ForbiddenError');
    const list = await gateway.query('{ cityReports { edges { node { id } } totalCount } }', {}, stranger);
    expect(list.body.data.cityReports).toEqual({ edges: [], totalCount: 0 });
    // Its owner and an admin see it; the owner's list holds both, newest first.
    expect((await readReport(gateway, admin, first.id)).id).toBe(first.id);
    const own = await gateway.query('{ cityReports { edges { node { id } } totalCount } }', {}, owner);
    expect(own.body.data.cityReports).toEqual({ edges: [{ node: { id: second.id } }, { node: { id: first.id } }], totalCount: 2 });
    // An admin may cancel it; then the owner may start another.
    const cancelled = await gateway.query(CANCEL_REPORT, { id: first.id }, admin);
    expect(cancelled.body.data.cancelCityReport).toMatchObject({ __typename: 'CityReport', state: 'CANCELLED' });
    expect((await startReport(gateway, owner, { names: ['Oslo'] })).state).toBe('QUEUED');
    sim.release();
  });

  it.skipIf(!available).each([
    { run: 'in this process', told: true },
    // The engine reaches the runs of its own process only: a run on another instance hears of the cancel through the database.
    { run: 'its engine cannot reach (as one on another instance)', told: false },
  ])('cancels a run $run within one chunk: no upstream call starts once the cancel has answered, and the rows so far stay', async ({ told }) => {
    const { gateway, sim, owner } = await start({}, { jobs: { reportChunkSize: 10 } });
    if (!told) gateway.jobs.cancel = async () => {};
    // The second chunk's geocoding of Sim 515 waits until the test releases it.
    sim.setFaults([{ endpoint: 'geocoding', city: 'Sim 515', fault: { kind: 'hold' } }]);
    const report = await startReport(gateway, owner, { names: fresh(500, 40), parts: ['WEATHER'] });
    await expect.poll(() => sim.held(), { timeout: 30_000 }).toBe(1);
    const cancelled = await gateway.query(CANCEL_REPORT, { id: report.id }, owner);
    expect(cancelled.body.data.cancelCityReport).toMatchObject({ __typename: 'CityReport', state: 'CANCELLED', done: 10 });
    const sent = calls(sim);
    sim.release();
    // The run has ended (the engine has nothing running), so nothing more can be sent for it.
    await expect.poll(() => gateway.jobs.counts().then((counts) => counts.running), { timeout: 30_000 }).toBe(0);
    expect(calls(sim)).toEqual(sent);
    const read = await readReport(gateway, owner, report.id);
    expect(read).toMatchObject({ state: 'CANCELLED', done: 10 });
    expect(read.rows.edges.map((edge: any) => edge.node.result.name)).toEqual(fresh(500, 10));
  });

  it.skipIf(onTestClock || dialect !== sqlite)('backs off from an error by the failures in a row, not by the runs its quota waits took', async () => {
    const clock = { now: Date.parse('2026-12-05T10:00:10.000Z') };
    const { gateway, sim, owner } = await start({ OPEN_METEO_QUOTA: '600/minute' }, { sources: { now: () => clock.now } });
    const db = gateway.database.db;
    // Three runs wait out a 429 each; the fourth gathers its rows and cannot write them.
    sim.setFaults([{ endpoint: 'forecast', times: 3, fault: { kind: 'status', status: 429, reason: 'Minutely API request limit exceeded.' } }]);
    await sql`CREATE TRIGGER refuse_rows BEFORE INSERT ON city_report_rows BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`.execute(db);
    const report = await startReport(gateway, owner, { names: fresh(900, 5), parts: ['WEATHER'] });
    const jobId = `city-report-${Buffer.from(report.id, 'base64').toString().split(':')[1]}`;
    const job = () => db.selectFrom('jobs').select(['state', 'attempts', 'run_at']).where('id', '=', jobId).executeTakeFirstOrThrow();
    for (let wait = 1; wait <= 3; wait += 1) {
      // Paused by this run: until a minute that has not begun.
      await expect
        .poll(async () => (await job()).attempts === wait && Date.parse((await readReport(gateway, owner, report.id)).resumesAt) > clock.now, {
          timeout: 30_000,
        })
        .toBe(true);
      clock.now = Date.parse((await readReport(gateway, owner, report.id)).resumesAt) + 1000;
    }
    await expect.poll(async () => (await db.selectFrom('city_reports').select('failures').executeTakeFirstOrThrow()).failures, { timeout: 30_000 }).toBe(1);
    // The fourth run, the first failure: retried after retryDelayMs(1), as a report that never waited would be.
    await expect.poll(job, { timeout: 30_000 }).toMatchObject({ state: 'queued', attempts: 4, run_at: timestamp(new Date(clock.now + retryDelayMs(1))) });
    await sql`DROP TRIGGER refuse_rows`.execute(db);
    clock.now += retryDelayMs(1);
    const done = await reportInState(gateway, owner, report.id, ['SUCCEEDED'], 100);
    expect(done.rows.edges.map((edge: any) => edge.node.result.weather.__typename)).toEqual(Array(5).fill('CityWeather'));
  });

  it.skipIf(onTestClock)('shows the queue and the schedules to admins alone, and deletes reports past REPORT_RETENTION_DAYS on its schedule', async () => {
    const clock = { now: Date.parse('2026-12-05T10:00:00.000Z') };
    const { gateway, owner, admin } = await start({ REPORT_RETENTION_DAYS: '7' }, { sources: { now: () => clock.now } });
    const report = await startReport(gateway, owner, { names: ['Paris'], parts: ['WEATHER'] });
    await reportInState(gateway, owner, report.id, ['SUCCEEDED']);
    const query =
      '{ backgroundWork { queued running waitingForQuota succeededLastHour failedLastHour schedules { name every lastRunAt lastOutcome nextRunAt } } }';
    expect((await gateway.query(query, {}, owner)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const work = (await gateway.query(query, {}, admin)).body.data.backgroundWork;
    expect(work).toEqual({
      queued: 0,
      running: 0,
      waitingForQuota: 0,
      succeededLastHour: 1,
      failedLastHour: 0,
      schedules: [
        { name: 'countries-dataset-refresh', every: 'every 24 h', lastRunAt: null, lastOutcome: null, nextRunAt: '2026-12-06T10:00:00.000Z' },
        { name: 'report-retention', every: 'every 1 h', lastRunAt: null, lastOutcome: null, nextRunAt: '2026-12-05T11:00:00.000Z' },
      ],
    });
    // Finished eight days ago (by its own clock), it goes at the next tick; a fresh one stays.
    await gateway.database.db.updateTable('city_reports').set({ finished_at: '2026-11-27T09:00:00.000Z' }).execute();
    const kept = await startReport(gateway, owner, { names: ['Rome'], parts: ['WEATHER'] });
    await reportInState(gateway, owner, kept.id, ['SUCCEEDED']);
    clock.now = Date.parse('2026-12-05T11:00:01.000Z');
    await expect.poll(async () => (await gateway.query(query, {}, admin)).body.data.backgroundWork.schedules[1].lastOutcome, { timeout: 30_000 }).toBe('ok');
    expect(await readReport(gateway, owner, report.id)).toBeNull();
    expect((await readReport(gateway, owner, kept.id)).state).toBe('SUCCEEDED');
  });

  it.skipIf(onTestClock)('refreshes the countries dataset once a day on its schedule, and says why a run failed', async () => {
    const clock = { now: Date.parse('2026-12-05T10:00:00.000Z') };
    const { gateway, sim, admin } = await start({}, { sources: { now: () => clock.now } });
    const schedule = async () =>
      (
        (await gateway.query('{ backgroundWork { schedules { name lastRunAt lastOutcome nextRunAt } } }', {}, admin)).body.data.backgroundWork
          .schedules as any[]
      ).find((item) => item.name === 'countries-dataset-refresh');
    expect(sim.calls().countries).toBe(0);
    clock.now = Date.parse('2026-12-06T10:00:01.000Z');
    await expect.poll(async () => (await schedule()).lastOutcome, { timeout: 30_000 }).toBe('ok');
    const loaded = sim.calls().countries;
    expect(loaded).toBeGreaterThan(0);
    expect(await schedule()).toEqual({
      name: 'countries-dataset-refresh',
      lastRunAt: '2026-12-06T10:00:01.000Z',
      lastOutcome: 'ok',
      nextRunAt: '2026-12-07T10:00:01.000Z',
    });
    // A day later REST Countries fails: the run says so, and the dataset held still answers.
    sim.setFaults([{ endpoint: 'countries', fault: { kind: 'status', status: 503 } }]);
    clock.now = Date.parse('2026-12-07T10:00:02.000Z');
    await expect.poll(async () => (await schedule()).lastOutcome, { timeout: 30_000 }).not.toBe('ok');
    expect((await schedule()).lastOutcome).toMatch(/countries/i);
    const paris = await gateway.query('{ cities(names: ["Paris"]) { ... on City { country { __typename } } } }');
    expect(paris.body.data.cities[0].country.__typename).toBe('Country');
  });

  it.skipIf(!available)('answers a report id that names nothing, or something else, with null or NotFoundError', async () => {
    const { gateway, owner } = await start();
    expect(await readReport(gateway, owner, encodeGlobalID('CityReport', '999'))).toBeNull();
    expect(await readReport(gateway, owner, encodeGlobalID('Post', '1'))).toBeNull();
    expect(await readReport(gateway, owner, 'not-an-id')).toBeNull();
    const missing = await gateway.query(CANCEL_REPORT, { id: encodeGlobalID('CityReport', '999') }, owner);
    expect(missing.body.data.cancelCityReport.__typename).toBe('NotFoundError');
    const cursor = await gateway.query('query ($id: ID!) { cityReport(id: $id) { id } }', { id: 'x' }, owner);
    expect(cursor.body.errors).toBeUndefined();
  });
});
