import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { timestamp } from '../db/records.js';
import { createJobEngine, type JobEngineChoice } from '../jobs/choose.js';
import type { JobEngine } from '../jobs/engine.js';
import { dialects } from './helpers/databases.js';
import { findRedisServer, startRedis, type ThrowawayRedis } from './services/redis.js';

// Which job engine a configuration gets (jobs/choose.ts), with the settings it passes on, and
// the one warning about a Redis that may evict the queues' keys. The Redis here is this file's
// own server: maxmemory-policy is a setting of the whole server, which no shared one may change.

const START = Date.parse('2026-12-06T10:00:00.000Z');
const HOUR = 3_600_000;

let database: DatabaseHandle;
const engines: JobEngine[] = [];
const warnings: string[] = [];
const clock = { now: START };

async function choose(choice: Partial<JobEngineChoice>): Promise<JobEngine> {
  const made = await createJobEngine({
    redisUrl: null,
    database,
    workers: 1,
    observer: {},
    onWarning: (message) => warnings.push(message),
    now: () => clock.now,
    ...choice,
  });
  engines.push(made);
  return made;
}

/** A job row as another process (or this one's previous life) left it. */
async function insertRow(id: string, state: 'queued' | 'running', runAt: number, leaseUntil: number | null = null, kind = 'work') {
  const at = timestamp(new Date(clock.now));
  await database.db
    .insertInto('jobs')
    .values({
      id,
      kind,
      payload: '{}',
      state,
      run_at: timestamp(new Date(runAt)),
      attempts: state === 'running' ? 1 : 0,
      lease_owner: state === 'running' ? 'another-process' : null,
      lease_until: leaseUntil === null ? null : timestamp(new Date(leaseUntil)),
      created_at: at,
      updated_at: at,
    })
    .execute();
}

const row = (id: string) => database.db.selectFrom('jobs').select(['state', 'attempts', 'lease_until']).where('id', '=', id).executeTakeFirstOrThrow();

/** A handler that records the id of each run, and returns at once. */
function recorded() {
  const ran: string[] = [];
  return {
    ran,
    handler: async (run: { id: string }) => {
      ran.push(run.id);
      return undefined;
    },
  };
}

/** A handler that records each run and holds it until `release()`. */
function held() {
  const ran: string[] = [];
  const waiting: (() => void)[] = [];
  return {
    ran,
    handler: async (run: { id: string }) => {
      ran.push(run.id);
      await new Promise<void>((resolve) => waiting.push(resolve));
      return undefined;
    },
    release: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

beforeEach(async () => {
  clock.now = START;
  warnings.length = 0;
  database = openDatabase(':memory:');
  await migrateToLatest(database.db);
});
afterEach(async () => {
  for (const made of engines.splice(0)) await made.close();
  await database.close();
});

describe('without a Redis for jobs: the embedded engine', () => {
  it('alone on SQLite (one worker) takes up at start the jobs its previous life left running', async () => {
    await insertRow('left', 'running', START, START + HOUR);
    const jobs = await choose({});
    expect(jobs.backend).toBe('embedded');
    const { ran, handler } = recorded();
    jobs.handle('work', handler);
    await jobs.start();
    await expect.poll(() => ran, { timeout: 20_000 }).toEqual(['left']);
    expect(warnings).toEqual([]);
  });

  it('with several workers on the file, leaves others’ running jobs to their lease and polls for the jobs they queue', async () => {
    await insertRow('theirs', 'running', START, START + HOUR);
    const jobs = await choose({ workers: 2 });
    const { ran, handler } = recorded();
    jobs.handle('work', handler);
    await jobs.start();
    // Queued by another worker: only a poll (every EMBEDDED_DEFAULTS.sharedPollMs) finds it.
    await insertRow('queued-elsewhere', 'queued', START);
    await expect.poll(() => ran, { timeout: 45_000, interval: 200 }).toEqual(['queued-elsewhere']);
    expect(await row('theirs')).toMatchObject({ state: 'running', attempts: 1 });
  }, 60_000);

  it('alone on its database, does not poll: a job only another process queued waits', async () => {
    const { ran, handler: record } = recorded();
    const alone = await choose({});
    alone.handle('work', record);
    await alone.start();
    // Started after it, with the same interval: once this one has polled, the alone one would have too.
    const polling = await choose({ workers: 2 });
    polling.handle('other', record);
    await polling.start();
    await insertRow('not-heard', 'queued', START);
    await insertRow('heard', 'queued', START, null, 'other');
    await expect.poll(() => ran, { timeout: 45_000, interval: 200 }).toEqual(['heard']);
    // One more job through the polling engine: a claim the alone one began at its poll has ended by then.
    await polling.enqueue({ id: 'after', kind: 'other', payload: {} });
    await expect.poll(() => ran, { timeout: 20_000 }).toEqual(['heard', 'after']);
    expect(await row('not-heard')).toMatchObject({ state: 'queued', attempts: 0 });
  }, 60_000);

  it('passes on the tuning: the lease, the poll, how many run at once, and the clock', async () => {
    const jobs = await choose({ tuning: { leaseMs: 7_000, pollMs: 20, concurrency: 3 } });
    const work = held();
    jobs.handle('work', work.handler);
    await jobs.start();
    // A poll finds jobs another process queued, though this one is alone on its database.
    for (const id of ['a', 'b', 'c', 'd']) await insertRow(id, 'queued', START);
    await expect.poll(() => work.ran.length, { timeout: 20_000 }).toBe(3);
    for (const id of work.ran) expect(await row(id)).toMatchObject({ state: 'running', lease_until: timestamp(new Date(START + 7_000)) });
    expect(await jobs.counts()).toMatchObject({ running: 3, queued: 1 });
    work.release();
    await expect.poll(() => jobs.counts().then((counts) => counts.succeeded), { timeout: 20_000 }).toBe(3);
    await expect.poll(() => work.ran.length, { timeout: 20_000 }).toBe(4);
    work.release();
  });
});

const postgres = dialects.find((dialect) => dialect.name === 'postgres')!;

describe.skipIf(!postgres.available)('without a Redis for jobs, on PostgreSQL: the embedded engine', () => {
  let url: string;
  beforeEach(async () => {
    await database.close();
    url = await postgres.createDatabase();
    database = openDatabase(url);
    await migrateToLatest(database.db);
  });
  afterEach(async () => {
    for (const made of engines.splice(0)) await made.close();
    await database.close();
    // The file's own afterEach closes `database` once more: an empty one, then.
    database = openDatabase(':memory:');
    await postgres.dropDatabase(url);
  });

  it('polls for the jobs other instances queue even with one worker: any instance may share the database', async () => {
    const jobs = await choose({});
    const { ran, handler } = recorded();
    jobs.handle('work', handler);
    await jobs.start();
    // Queued by another instance: only a poll (every EMBEDDED_DEFAULTS.sharedPollMs) finds it.
    await insertRow('queued-elsewhere', 'queued', START);
    await expect.poll(() => ran, { timeout: 45_000, interval: 200 }).toEqual(['queued-elsewhere']);
  }, 60_000);
});

const redisServer = findRedisServer();

describe.skipIf(!redisServer)('with a Redis for jobs: BullMQ', () => {
  let redis: ThrowawayRedis;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startRedis(redisServer!);
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  beforeEach(async () => {
    await admin.flushall();
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
  });

  it('runs on BullMQ with the tuning it was given: key prefix, lock, stalled-job check, concurrency, clock', async () => {
    const jobs = await choose({
      redisUrl: redis.url,
      tuning: { prefix: 'chosen', lockMs: 120_000, stalledIntervalMs: 45_000, concurrency: 3 },
    });
    expect(jobs.backend).toBe('bullmq');
    const work = held();
    jobs.handle('work', work.handler);
    jobs.schedule({ name: 'hourly', everyMs: HOUR, run: async () => {} });
    await jobs.start();
    for (const id of ['a', 'b', 'c', 'd']) await jobs.enqueue({ id, kind: 'work', payload: {} });
    await expect.poll(() => work.ran.length, { timeout: 20_000 }).toBe(3);
    expect(await jobs.counts()).toMatchObject({ running: 3, queued: 1 });
    const keys = await admin.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !key.startsWith('chosen:jobs:'))).toEqual([]);
    // BullMQ's lock on a running job lasts lockMs; its stalled-job check comes back after stalledIntervalMs.
    const lock = await admin.pttl(`chosen:jobs:job-${work.ran[0]}:lock`);
    expect(lock).toBeGreaterThan(60_000);
    expect(lock).toBeLessThanOrEqual(120_000);
    const check = await admin.pttl('chosen:jobs:stalled-check');
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThanOrEqual(45_000);
    // The schedules' book is written on the engine's clock.
    const [book] = await database.db.selectFrom('schedules').select(['name', 'next_run_at']).execute();
    expect(book).toEqual({ name: 'hourly', next_run_at: timestamp(new Date(START + HOUR)) });
    work.release();
    await expect.poll(() => work.ran.length, { timeout: 20_000 }).toBe(4);
    work.release();
    await expect.poll(() => jobs.counts().then((counts) => counts.succeeded), { timeout: 20_000 }).toBe(4);
    expect(warnings).toEqual([]);
  });

  it('warns once, in one line, when Redis may evict the queues’ keys', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const jobs = await choose({ redisUrl: redis.url, tuning: { prefix: 'evicting' } });
    await jobs.start();
    expect(warnings).toEqual([
      'JOBS_REDIS_URL: Redis evicts keys (maxmemory-policy allkeys-lru), so queued jobs can be lost; set maxmemory-policy noeviction, or give jobs a Redis of their own (docs/deploy.md)',
    ]);
  });

  it('warns once when it cannot read the policy, as on a Redis that forbids CONFIG', async () => {
    await admin.call('ACL', 'SETUSER', 'jobs', 'on', '>jobs-password', '~*', '&*', '+@all', '-config');
    const url = new URL(redis.url);
    url.username = 'jobs';
    url.password = 'jobs-password';
    const jobs = await choose({ redisUrl: url.toString(), tuning: { prefix: 'managed' } });
    await jobs.start();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^JOBS_REDIS_URL: cannot read Redis's maxmemory-policy \(NOPERM .*config.*\); make sure it is noeviction, or queued jobs can be lost \(docs\/deploy\.md\)$/,
    );
    expect(warnings[0]).not.toContain('jobs-password');
    await admin.call('ACL', 'DELUSER', 'jobs');
  });
});
