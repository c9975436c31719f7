import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createBullmqEngine } from '../jobs/bullmq.js';
import { type JobEngine, MAX_JOB_ATTEMPTS } from '../jobs/engine.js';
import { freePort } from './services/free-port.js';
import { findRedisServer, startRedis, type ThrowawayRedis } from './services/redis.js';

// What the BullMQ engine (jobs/bullmq.ts) does that the embedded one does not: a job's retry
// policy and its retention in Redis, a delayed job cancelled, a kind nobody handles, a Redis
// that is not there, one that restarts empty. On a Redis server of this file's own, which it
// stops and starts.

const redisServer = findRedisServer();

describe.skipIf(!redisServer)('the BullMQ engine', () => {
  let redis: ThrowawayRedis;
  let admin: Redis;
  let database: DatabaseHandle;
  const engines: JobEngine[] = [];
  const errors: Record<string, unknown>[] = [];
  const PREFIX = 'own';

  const engine = (url = redis.url) => {
    const made = createBullmqEngine({
      url,
      db: database.background,
      prefix: PREFIX,
      lockMs: 2_000,
      observer: { onError: (_error, context) => errors.push(context) },
    });
    engines.push(made);
    return made;
  };
  /** The queue as another client of the same Redis sees it. */
  const peek = async <T>(read: (queue: Queue) => Promise<T>) => {
    const queue = new Queue('jobs', { connection: { url: redis.url }, prefix: PREFIX });
    try {
      return await read(queue);
    } finally {
      await queue.close();
    }
  };

  beforeAll(async () => {
    redis = await startRedis(redisServer!);
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  beforeEach(async () => {
    errors.length = 0;
    await admin.flushall();
    database = openDatabase(':memory:');
    await migrateToLatest(database.db);
  });
  afterEach(async () => {
    for (const made of engines.splice(0)) await made.close();
    await database.close();
  });

  it('keeps a job with its retry policy and retention: 8 attempts, backoff doubling from 1 s, finished jobs kept a day, failed ones a week', async () => {
    const jobs = engine();
    await jobs.enqueue({ id: 'kept', kind: 'nobody-runs-this', payload: { n: 1 } });
    const job = await peek((queue) => queue.getJob('job-kept'));
    expect(job?.name).toBe('nobody-runs-this');
    expect(job?.data).toEqual({ n: 1 });
    expect(job?.opts).toMatchObject({
      attempts: MAX_JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  });

  it('by default: keys under gatherql:, a 30 s lock on a running job, stalled jobs looked for every 15 s', async () => {
    const jobs = createBullmqEngine({ url: redis.url, db: database.background });
    engines.push(jobs);
    let release!: () => void;
    const running = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = false;
    jobs.handle('held', async () => {
      started = true;
      await running;
      return undefined;
    });
    await jobs.start();
    await jobs.enqueue({ id: 'held', kind: 'held', payload: {} });
    await expect.poll(() => started, { timeout: 20_000 }).toBe(true);
    const keys = await admin.keys('*');
    expect(keys.filter((key) => !key.startsWith('gatherql:jobs:'))).toEqual([]);
    const lock = await admin.pttl('gatherql:jobs:job-held:lock');
    expect(lock).toBeGreaterThan(15_000);
    expect(lock).toBeLessThanOrEqual(30_000);
    const check = await admin.pttl('gatherql:jobs:stalled-check');
    expect(check).toBeGreaterThan(1_000);
    expect(check).toBeLessThanOrEqual(15_000);
    release();
    await expect.poll(() => jobs.counts().then((counts) => counts.succeeded), { timeout: 20_000 }).toBe(1);
  });

  it('fails the run of a kind no handler takes, saying so', async () => {
    const jobs = engine();
    jobs.handle('known', async () => undefined);
    await jobs.start();
    await jobs.enqueue({ id: 'stray', kind: 'unknown', payload: {} });
    await expect
      .poll(() => peek((queue) => queue.getJob('job-stray').then((job) => job?.failedReason)), { timeout: 20_000 })
      .toBe('no handler for jobs of kind unknown');
  });

  it('counts a job waiting for its time as delayed, and cancelling it removes it', async () => {
    const jobs = engine();
    let runs = 0;
    jobs.handle('paced', async () => {
      runs += 1;
      return { retryAt: new Date(Date.now() + 3_600_000), reason: 'quota' };
    });
    await jobs.start();
    await jobs.enqueue({ id: 'paced', kind: 'paced', payload: {} });
    await expect.poll(() => jobs.counts(), { timeout: 20_000 }).toEqual({ queued: 0, running: 0, delayed: 1, succeeded: 0, failed: 0 });
    await jobs.cancel('paced');
    expect(await jobs.counts()).toEqual({ queued: 0, running: 0, delayed: 0, succeeded: 0, failed: 0 });
    expect(await peek((queue) => queue.getJob('job-paced'))).toBeUndefined();
    expect(runs).toBe(1);
  });

  it('counts jobs queued before any worker runs as queued, and cancelling one removes it', async () => {
    const jobs = engine();
    await jobs.enqueue({ id: 'one', kind: 'later', payload: {} });
    await jobs.enqueue({ id: 'two', kind: 'later', payload: {} });
    expect(await jobs.counts()).toEqual({ queued: 2, running: 0, delayed: 0, succeeded: 0, failed: 0 });
    await jobs.cancel('one');
    expect(await jobs.counts()).toMatchObject({ queued: 1 });
    expect(await peek((queue) => queue.getJob('job-one'))).toBeUndefined();
  });

  it('closes gracefully: a job that ended as the engine closed is recorded as completed, not left running', async () => {
    const jobs = engine();
    let started = false;
    jobs.handle('held', async (run) => {
      started = true;
      await new Promise((resolve) => run.signal.addEventListener('abort', resolve, { once: true }));
      return undefined;
    });
    await jobs.start();
    await jobs.enqueue({ id: 'ends-at-close', kind: 'held', payload: {} });
    await expect.poll(() => started, { timeout: 20_000 }).toBe(true);
    await jobs.close();
    expect(await peek((queue) => queue.getJobState('job-ends-at-close'))).toBe('completed');
  });

  it('with Redis away: starts all the same, an enqueue gives up after its wait, close() returns', async () => {
    const jobs = engine(`redis://127.0.0.1:${await freePort()}`);
    jobs.handle('any', async () => undefined);
    await jobs.start();
    await expect(jobs.enqueue({ id: 'lost', kind: 'any', payload: {} })).rejects.toThrow('Redis did not answer within 2000 ms');
    // A cancel gives up after the same wait, rather than waiting for Redis to come back.
    await expect(jobs.cancel('lost')).rejects.toThrow('Redis did not answer within 2000 ms');
    // Each of its Redis clients tells the observer, under a step of its own.
    await expect
      .poll(() => new Set(errors.map((context) => JSON.stringify(context))), { timeout: 20_000 })
      .toEqual(new Set(['connection', 'queue', 'worker'].map((step) => JSON.stringify({ engine: 'bullmq', step }))));
    await jobs.close();
  });

  it('registers its schedules again when Redis comes back empty', async () => {
    const jobs = engine();
    let ticks = 0;
    jobs.schedule({
      name: 'beat',
      everyMs: 1_000,
      run: async () => {
        ticks += 1;
      },
    });
    await jobs.start();
    await expect.poll(() => ticks, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const port = redis.port;
    admin.disconnect();
    await redis.stop();
    redis = await startRedis(redisServer!, port);
    admin = new Redis(redis.url);
    const before = ticks;
    await expect.poll(() => ticks, { timeout: 30_000 }).toBeGreaterThan(before + 1);
    const [state] = await jobs.schedules();
    expect(state?.nextRunAt).toBeInstanceOf(Date);
  }, 60_000);

  it('names its backend, and shows a schedule that is not in Redis with no next run', async () => {
    const jobs = engine();
    expect(jobs.backend).toBe('bullmq');
    jobs.schedule({ name: 'tidy', everyMs: 3_600_000, run: async () => {} });
    await jobs.start();
    await peek((queue) => queue.removeJobScheduler('tidy'));
    expect((await jobs.schedules()).map((state) => [state.name, state.nextRunAt])).toEqual([['tidy', null]]);
  });

  it('puts its schedules in Redis as it starts', async () => {
    const jobs = engine();
    jobs.schedule({ name: 'tidy', everyMs: 3_600_000, run: async () => {} });
    await jobs.start();
    const [state] = await jobs.schedules();
    expect(state?.nextRunAt).toBeInstanceOf(Date);
  });

  it('counts each state BullMQ keeps: waiting and prioritized as queued, active as running, failed', async () => {
    const jobs = engine();
    const held = heldRuns();
    jobs.handle('held', held.handler);
    await jobs.enqueue({ id: 'held', kind: 'held', payload: {} });
    // Added by another client: a prioritized job of a kind nobody handles, with one attempt only.
    await peek((queue) => queue.add('unhandled', {}, { jobId: 'job-urgent', priority: 5, attempts: 1 }));
    expect(await jobs.counts()).toEqual({ queued: 2, running: 0, delayed: 0, succeeded: 0, failed: 0 });
    await jobs.start();
    await expect.poll(() => jobs.counts(), { timeout: 20_000 }).toEqual({ queued: 0, running: 1, delayed: 0, succeeded: 0, failed: 1 });
    expect(held.started).toBe(1);
    held.release();
  });

  it('cancels nothing it does not have, and leaves a finished job as it ended', async () => {
    const jobs = engine();
    jobs.handle('quick', async () => undefined);
    await jobs.start();
    await jobs.cancel('never-queued');
    await jobs.enqueue({ id: 'done', kind: 'quick', payload: {} });
    await expect.poll(() => jobs.counts().then((counts) => counts.succeeded), { timeout: 20_000 }).toBe(1);
    await jobs.cancel('done');
    expect(await peek((queue) => queue.getJobState('job-done'))).toBe('completed');
  });

  it('starts one worker however often start() is called', async () => {
    const jobs = createBullmqEngine({ url: redis.url, db: database.background, prefix: PREFIX, concurrency: 1, observer: {} });
    engines.push(jobs);
    const held = heldRuns();
    jobs.handle('held', held.handler);
    await jobs.start();
    await jobs.start();
    await jobs.enqueue({ id: 'one', kind: 'held', payload: {} });
    await jobs.enqueue({ id: 'two', kind: 'held', payload: {} });
    await expect.poll(() => held.started, { timeout: 20_000 }).toBe(1);
    // A wait, not a verdict on speed: a second worker would take the second job meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // One slot: the second job waits.
    expect(await jobs.counts()).toMatchObject({ queued: 1, running: 1 });
    expect(held.started).toBe(1);
    held.release();
    await expect.poll(() => held.started, { timeout: 20_000 }).toBe(2);
  });

  it('with Redis away and no observer: starts, gives up an enqueue, and closes, started or not', async () => {
    const away = `redis://127.0.0.1:${await freePort()}`;
    const jobs = createBullmqEngine({ url: away, db: database.background, prefix: PREFIX });
    engines.push(jobs);
    jobs.handle('any', async () => undefined);
    await jobs.start();
    await expect(jobs.enqueue({ id: 'lost', kind: 'any', payload: {} })).rejects.toThrow('Redis did not answer within 2000 ms');
    await jobs.close();
    const never = createBullmqEngine({ url: away, db: database.background, prefix: PREFIX });
    engines.push(never);
    await never.close();
  });
});

/** A handler whose runs wait until `release()`, counting how many have started. */
function heldRuns() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const runs = {
    started: 0,
    release: () => release(),
    handler: async () => {
      runs.started += 1;
      await released;
      return undefined;
    },
  };
  return runs;
}
