import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { selectSchedules, upsertSchedule } from '../db/schedules.js';
import { createBullmqEngine } from '../jobs/bullmq.js';
import { createEmbeddedEngine } from '../jobs/embedded.js';
import { DRAINING, everyInWords, type JobEngine } from '../jobs/engine.js';
import { createScheduleBook } from '../jobs/schedule-book.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// Schedules (jobs/schedule-book.ts, jobs/embedded-scheduler.ts): each tick run by one process,
// and the book of when it last ran, how it went and when it runs next, on SQLite (two engines
// on one database stand for two processes) and with BullMQ, whose ticks come from Redis.

const START = Date.parse('2026-12-06T10:00:00.000Z');
const MINUTE = 60_000;

describe('a schedule in words', () => {
  it.each([
    [86_400_000, 'every 24 h'],
    [3_600_000, 'every 1 h'],
    [900_000, 'every 15 min'],
    [90_000, 'every 90 s'],
    [30_000, 'every 30 s'],
    [1_500, 'every 2 s'],
  ])('%i ms is "%s"', (ms, words) => {
    expect(everyInWords(ms)).toBe(words);
  });
});

describe('schedules on the embedded engine (SQLite)', () => {
  let database: DatabaseHandle;
  const engines: JobEngine[] = [];
  const clock = { now: START };
  const errors: { error: unknown; context: Record<string, unknown> }[] = [];
  const engine = (pollMs: number | null = 20) => {
    const made = createEmbeddedEngine({
      db: database.background,
      dialect: 'sqlite',
      pollMs,
      now: () => clock.now,
      observer: { onError: (error, context) => errors.push({ error, context }) },
    });
    engines.push(made);
    return made;
  };

  beforeEach(async () => {
    clock.now = START;
    errors.length = 0;
    database = openDatabase(':memory:');
    await migrateToLatest(database.db);
  });
  afterEach(async () => {
    for (const made of engines.splice(0)) await made.close();
    await database.close();
  });

  it('runs each tick in one of two processes, and records when it ran, how it went and when it runs next', async () => {
    const ran: number[] = [];
    let failure: unknown = null;
    const both = [engine(), engine()];
    for (const jobs of both) {
      jobs.schedule({
        name: 'tidy',
        everyMs: MINUTE,
        async run() {
          ran.push(clock.now);
          if (failure) throw failure;
        },
      });
      await jobs.start();
    }
    // Registered, not run: the first tick is one interval after the start.
    expect(await both[0]!.schedules()).toEqual([
      { name: 'tidy', every: 'every 1 min', lastRunAt: null, lastOutcome: null, nextRunAt: new Date(START + MINUTE) },
    ]);
    for (let tick = 1; tick <= 3; tick += 1) {
      clock.now += MINUTE;
      await expect.poll(() => ran.length, { timeout: 20_000 }).toBe(tick);
      await expect.poll(async () => (await both[1]!.schedules())[0]?.lastOutcome, { timeout: 20_000 }).toBe('ok');
    }
    expect(await both[1]!.schedules()).toEqual([
      { name: 'tidy', every: 'every 1 min', lastRunAt: new Date(clock.now), lastOutcome: 'ok', nextRunAt: new Date(clock.now + MINUTE) },
    ]);
    failure = new Error('the store was away');
    clock.now += MINUTE;
    await expect.poll(async () => (await both[0]!.schedules())[0]?.lastOutcome, { timeout: 20_000 }).toBe('the store was away');
    // A thrown value that is not an Error is the outcome as text.
    failure = 'no answer';
    clock.now += MINUTE;
    await expect.poll(async () => (await both[0]!.schedules())[0]?.lastOutcome, { timeout: 20_000 }).toBe('no answer');
    expect(await both[1]!.schedules()).toEqual([
      { name: 'tidy', every: 'every 1 min', lastRunAt: new Date(clock.now), lastOutcome: 'no answer', nextRunAt: new Date(clock.now + MINUTE) },
    ]);
    expect(ran).toEqual([1, 2, 3, 4, 5].map((tick) => START + tick * MINUTE));
    expect(errors.map((item) => item.context)).toEqual([{ schedule: 'tidy' }, { schedule: 'tidy' }]);
  });

  it('runs a tick missed while no process was up once, not once per missed tick', async () => {
    const ran: number[] = [];
    const spec = {
      name: 'sweep',
      everyMs: MINUTE,
      run: async () => {
        ran.push(clock.now);
      },
    };
    const first = engine();
    first.schedule(spec);
    await first.start();
    await first.close();
    clock.now += 10 * MINUTE;
    const next = engine();
    next.schedule(spec);
    await next.start();
    await expect.poll(async () => (await next.schedules())[0]?.lastOutcome, { timeout: 20_000 }).toBe('ok');
    // The next tick is an interval after this run: a later poll finds nothing due.
    expect(await next.schedules()).toEqual([
      { name: 'sweep', every: 'every 1 min', lastRunAt: new Date(clock.now), lastOutcome: 'ok', nextRunAt: new Date(clock.now + MINUTE) },
    ]);
    expect(ran).toEqual([START + 10 * MINUTE]);
  });

  it('keeps a schedule’s next run when a process registers it again', async () => {
    const first = engine();
    first.schedule({ name: 'keep', everyMs: MINUTE, run: async () => {} });
    await first.start();
    clock.now += 30_000;
    const second = engine();
    second.schedule({ name: 'keep', everyMs: 2 * MINUTE, run: async () => {} });
    await second.start();
    expect(await second.schedules()).toEqual([{ name: 'keep', every: 'every 2 min', lastRunAt: null, lastOutcome: null, nextRunAt: new Date(START + MINUTE) }]);
  });

  it('wakes at the earliest next run on its own, without polling', async () => {
    // The real clock: the scheduler sleeps until the next run, then runs it.
    const ran: number[] = [];
    const made = createEmbeddedEngine({ db: database.background, dialect: 'sqlite', pollMs: null });
    engines.push(made);
    // It sleeps until the earliest of the next runs, not the latest.
    made.schedule({ name: 'hourly', everyMs: 3_600_000, run: async () => {} });
    made.schedule({
      name: 'often',
      everyMs: 150,
      run: async () => {
        ran.push(Date.now());
      },
    });
    const started = Date.now();
    await made.start();
    await expect.poll(() => ran.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(ran[0]!).toBeGreaterThanOrEqual(started + 150);
    const [, state] = await made.schedules();
    expect(state!.name).toBe('often');
    expect(state!.nextRunAt!.getTime()).toBeGreaterThan(state!.lastRunAt!.getTime());
  });

  it('leaves alone a tick of a schedule this process does not know (one another version registered)', async () => {
    await upsertSchedule(database.db, 'elsewhere', MINUTE, new Date(START));
    const told: unknown[] = [];
    const book = createScheduleBook(database.db, { onError: (error) => told.push(error) }, () => clock.now);
    await book.run('elsewhere', new AbortController().signal, new Date(START));
    const [row] = await selectSchedules(database.db, ['elsewhere']);
    expect(row).toMatchObject({ lastRunAt: null, lastOutcome: null });
    expect(told).toEqual([]);
  });

  it('refuses a schedule registered twice', () => {
    const jobs = engine();
    jobs.schedule({ name: 'twice', everyMs: MINUTE, run: async () => {} });
    expect(() => jobs.schedule({ name: 'twice', everyMs: MINUTE, run: async () => {} })).toThrow('schedule twice is registered twice');
  });

  it('tells a running tick that the engine is closing, and waits for it', async () => {
    let entered!: () => void;
    const running = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const reasons: unknown[] = [];
    let finished = false;
    const jobs = engine();
    jobs.schedule({
      name: 'slow',
      everyMs: MINUTE,
      async run(signal) {
        entered();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        reasons.push(signal.reason);
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
      },
    });
    await jobs.start();
    clock.now += MINUTE;
    await running;
    await jobs.close();
    expect(reasons).toEqual([DRAINING]);
    expect(finished).toBe(true);
  });

  it('an engine with no schedule writes no book', async () => {
    const jobs = engine();
    await jobs.start();
    expect(await jobs.schedules()).toEqual([]);
    expect(await database.db.selectFrom('schedules').selectAll().execute()).toEqual([]);
  });
});

describe.skipIf(!sharedRedis)('schedules on BullMQ (the book on SQLite)', () => {
  let database: DatabaseHandle;
  let jobs: JobEngine | undefined;

  beforeEach(async () => {
    database = openDatabase(':memory:');
    await migrateToLatest(database.db);
  });
  afterEach(async () => {
    await jobs?.close();
    jobs = undefined;
    await database.close();
  });

  it('runs the ticks Redis hands out and records them on the engine’s clock, with the next run Redis keeps', async () => {
    const url = redisDatabase('job-schedules');
    await emptyRedis(url);
    const clock = { now: START };
    const ran: number[] = [];
    jobs = createBullmqEngine({ url, db: database.background, prefix: `test-${randomBytes(4).toString('hex')}`, now: () => clock.now });
    jobs.schedule({
      name: 'beat',
      everyMs: 1_000,
      run: async () => {
        ran.push(clock.now);
        if (clock.now !== START) throw new Error('a later beat failed');
      },
    });
    await jobs.start();
    await expect.poll(() => ran.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => (await jobs!.schedules())[0]?.lastOutcome, { timeout: 20_000 }).toBe('ok');
    const [first] = await jobs.schedules();
    expect(first).toMatchObject({ name: 'beat', every: 'every 1 s', lastRunAt: new Date(START), lastOutcome: 'ok' });
    expect(first!.nextRunAt).toBeInstanceOf(Date);
    // Redis's own clock, not the engine's: BullMQ's scheduler counts in real time.
    expect(Math.abs(first!.nextRunAt!.getTime() - Date.now())).toBeLessThan(60_000);
    clock.now += MINUTE;
    await expect.poll(async () => (await jobs!.schedules())[0]?.lastOutcome, { timeout: 20_000 }).toBe('a later beat failed');
    expect((await jobs.schedules())[0]).toMatchObject({ lastRunAt: new Date(START + MINUTE) });
  });
});
