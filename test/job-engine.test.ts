import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { timestamp } from '../db/records.js';
import { claimScheduleTick, upsertSchedule } from '../db/schedules.js';
import { migrateToLatest } from '../db/migrate.js';
import { createBullmqEngine } from '../jobs/bullmq.js';
import { createEmbeddedEngine } from '../jobs/embedded.js';
import { CANCELLED, DRAINING, type JobEngine, type JobRunOutcome } from '../jobs/engine.js';
import { postgres, type TestDialect, sqlite } from './helpers/databases.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// One suite for both job engines, the same handlers on each: the embedded engine on SQLite
// and on PostgreSQL, and BullMQ on Redis (with the schedules' book on SQLite).

interface Backend {
  name: string;
  available: boolean;
  /** A store for one test: engines made by `engine` share it (as processes share a database or a Redis). */
  open(): Promise<{ database: DatabaseHandle; engine(options?: { now?: () => number }): JobEngine; close(): Promise<void> }>;
}

const outcomes: { kind: string; outcome: JobRunOutcome }[] = [];
const observer = { onRun: (kind: string, outcome: JobRunOutcome) => outcomes.push({ kind, outcome }) };

async function migrated(dialect: TestDialect) {
  const url = await dialect.createDatabase();
  const database = openDatabase(url);
  await migrateToLatest(database.db);
  return {
    database,
    async close() {
      await database.close();
      await dialect.dropDatabase(url);
    },
  };
}

const embedded = (dialect: TestDialect): Backend => ({
  name: `embedded on ${dialect.name}`,
  available: dialect.available,
  async open() {
    const store = await migrated(dialect);
    return {
      database: store.database,
      // A short lease and a quick poll: what a test of takeovers needs; production keeps the defaults.
      engine: (options = {}) =>
        createEmbeddedEngine({ db: store.database.background, dialect: dialect.name, pollMs: 50, leaseMs: 1_000, observer, ...options }),
      close: store.close,
    };
  },
});

const bullmq: Backend = {
  name: 'BullMQ on Redis',
  available: sharedRedis !== null,
  async open() {
    const store = await migrated(sqlite);
    const url = sharedRedis ? redisDatabase('job-engine') : '';
    await emptyRedis(url);
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    return {
      database: store.database,
      engine: (options = {}) => createBullmqEngine({ url, db: store.database.background, prefix, lockMs: 2_000, observer, ...options }),
      close: store.close,
    };
  },
};

const backends: Backend[] = [embedded(sqlite), embedded(postgres), bullmq];

/** A promise and its resolver: a handler waits on it until the test lets it go on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

for (const backend of backends) {
  describe.skipIf(!backend.available)(`job engine: ${backend.name}`, () => {
    let store: Awaited<ReturnType<Backend['open']>>;
    const engines: JobEngine[] = [];
    const engine = (options?: { now?: () => number }) => {
      const made = store.engine(options);
      engines.push(made);
      return made;
    };

    beforeEach(async () => {
      outcomes.length = 0;
      store = await backend.open();
    });
    afterEach(async () => {
      for (const made of engines.splice(0)) await made.close();
      await store.close();
    });

    it('runs a job once, with its payload, and counts it as succeeded', async () => {
      const seen: unknown[] = [];
      const jobs = engine();
      jobs.handle('echo', async (run) => {
        seen.push({ id: run.id, payload: run.payload, attempt: run.attempt });
        return undefined;
      });
      await jobs.start();
      await jobs.enqueue({ id: 'echo-1', kind: 'echo', payload: { n: 1 } });
      await expect.poll(() => jobs.counts().then((counts) => counts.succeeded), { timeout: 20_000 }).toBe(1);
      expect(seen).toEqual([{ id: 'echo-1', payload: { n: 1 }, attempt: 1 }]);
      expect(await jobs.counts()).toMatchObject({ queued: 0, running: 0, failed: 0 });
      expect(outcomes).toEqual([{ kind: 'echo', outcome: 'succeeded' }]);
    });

    it('queues an id once while it is queued or running, and anew once it has finished', async () => {
      let runs = 0;
      const first = gate();
      const jobs = engine();
      jobs.handle('slow', async () => {
        runs += 1;
        if (runs === 1) await first.opened;
        return undefined;
      });
      await jobs.start();
      await jobs.enqueue({ id: 'same', kind: 'slow', payload: {} });
      await expect.poll(() => runs, { timeout: 20_000 }).toBe(1);
      await jobs.enqueue({ id: 'same', kind: 'slow', payload: {} });
      first.open();
      await expect.poll(() => jobs.counts().then((counts) => counts.succeeded), { timeout: 20_000 }).toBe(1);
      expect(runs).toBe(1);
      await jobs.enqueue({ id: 'same', kind: 'slow', payload: {} });
      await expect.poll(() => runs, { timeout: 20_000 }).toBe(2);
    });

    it('starts a job recorded in a transaction only once the transaction commits, and never one that rolled back', async () => {
      const ran: string[] = [];
      const jobs = engine();
      jobs.handle('record', async (run) => {
        ran.push(run.id);
        return undefined;
      });
      await jobs.start();
      await expect(
        store.database.db.transaction().execute(async (trx) => {
          await jobs.enqueueIn(trx, { id: 'rolled-back', kind: 'record', payload: {} });
          throw new Error('the work was not recorded');
        }),
      ).rejects.toThrow('the work was not recorded');
      const afterCommit = await store.database.db.transaction().execute((trx) => jobs.enqueueIn(trx, { id: 'committed', kind: 'record', payload: {} }));
      await afterCommit();
      await expect.poll(() => ran, { timeout: 20_000 }).toEqual(['committed']);
      // A job enqueued after both has run too: the rolled-back one was never there to run.
      await jobs.enqueue({ id: 'marker', kind: 'record', payload: {} });
      await expect.poll(() => ran, { timeout: 20_000 }).toEqual(['committed', 'marker']);
    });

    it('runs a job again when its handler asks to wait, not before the time it named', async () => {
      const runs: number[] = [];
      let resumeAt = 0;
      const jobs = engine();
      jobs.handle('paced', async () => {
        runs.push(Date.now());
        if (runs.length > 1) return undefined;
        resumeAt = Date.now() + 400;
        return { retryAt: new Date(resumeAt), reason: 'quota' };
      });
      await jobs.start();
      await jobs.enqueue({ id: 'paced-1', kind: 'paced', payload: {} });
      await expect.poll(() => runs.length, { timeout: 20_000 }).toBe(2);
      expect(runs[1]!).toBeGreaterThanOrEqual(resumeAt);
      await expect.poll(() => outcomes.map((item) => item.outcome), { timeout: 20_000 }).toEqual(['waiting', 'succeeded']);
    });

    it('retries a run that threw, with backoff, until it succeeds', async () => {
      const runs: number[] = [];
      const jobs = engine();
      jobs.handle('flaky', async (run) => {
        runs.push(run.attempt);
        if (runs.length === 1) throw new Error('first run fails');
        return undefined;
      });
      await jobs.start();
      await jobs.enqueue({ id: 'flaky-1', kind: 'flaky', payload: {} });
      await expect.poll(() => jobs.counts().then((counts) => counts.succeeded), { timeout: 20_000 }).toBe(1);
      expect(runs).toEqual([1, 2]);
      expect(outcomes.map((item) => item.outcome)).toEqual(['retried', 'succeeded']);
    });

    it('cancels: a running job hears CANCELLED, a queued one never runs', async () => {
      const reasons: unknown[] = [];
      const ran: string[] = [];
      const jobs = engine();
      jobs.handle('long', async (run) => {
        ran.push(run.id);
        if (run.id === 'after') return undefined;
        await new Promise((resolve) => run.signal.addEventListener('abort', resolve, { once: true }));
        reasons.push(run.signal.reason);
        return undefined;
      });
      await jobs.start();
      // Two run (the engine's two slots), the third waits in the queue behind them.
      await jobs.enqueue({ id: 'long-1', kind: 'long', payload: {} });
      await jobs.enqueue({ id: 'long-2', kind: 'long', payload: {} });
      await expect.poll(() => ran.length, { timeout: 20_000 }).toBe(2);
      await jobs.enqueue({ id: 'queued', kind: 'long', payload: {} });
      await jobs.cancel('queued');
      await jobs.cancel('long-1');
      await expect.poll(() => reasons, { timeout: 20_000 }).toEqual([CANCELLED]);
      // A job queued after the cancelled one runs in the slot long-1 left; the cancelled one never does.
      await jobs.enqueue({ id: 'after', kind: 'long', payload: {} });
      await expect.poll(() => ran, { timeout: 20_000 }).toEqual(['long-1', 'long-2', 'after']);
      await jobs.cancel('long-2');
      await expect.poll(() => reasons, { timeout: 20_000 }).toEqual([CANCELLED, CANCELLED]);
      expect(ran).not.toContain('queued');
      expect(outcomes.filter((item) => item.outcome === 'cancelled')).toHaveLength(2);
    });

    it('drains on close: a running job hears DRAINING, gives its work back, and runs on the next engine, not again on the closing one', async () => {
      const reasons: unknown[] = [];
      const ranOn: string[] = [];
      const handlerOn = (name: string) => async (run: { signal: AbortSignal }) => {
        ranOn.push(name);
        if (name === 'next') return undefined;
        await new Promise((resolve) => run.signal.addEventListener('abort', resolve, { once: true }));
        reasons.push(run.signal.reason);
        return { retryAt: new Date(), reason: 'drain' as const };
      };
      const first = engine();
      first.handle('drained', handlerOn('first'));
      await first.start();
      await first.enqueue({ id: 'drained-1', kind: 'drained', payload: {} });
      await expect.poll(() => ranOn.length, { timeout: 20_000 }).toBe(1);
      await first.close();
      expect(reasons).toEqual([DRAINING]);
      // The job it gave back was not taken again while it closed.
      expect(ranOn).toEqual(['first']);
      const next = engine();
      next.handle('drained', handlerOn('next'));
      await next.start();
      await expect.poll(() => ranOn, { timeout: 20_000 }).toEqual(['first', 'next']);
      await expect.poll(() => next.counts().then((counts) => counts.succeeded), { timeout: 20_000 }).toBe(1);
    });
  });
}

describe.skipIf(!postgres.available)('embedded job engine: processes that share a database', () => {
  let store: Awaited<ReturnType<typeof migrated>>;
  const engines: JobEngine[] = [];
  beforeEach(async () => {
    store = await migrated(postgres);
  });
  afterEach(async () => {
    for (const made of engines.splice(0)) await made.close();
    await store.close();
  });
  const engine = (options: { now?: () => number } = {}) => {
    const made = createEmbeddedEngine({ db: store.database.background, dialect: 'postgres', pollMs: 50, leaseMs: 1_000, ...options });
    engines.push(made);
    return made;
  };

  it('takes over a job whose process died: its lease ran out, and another process claims it', async () => {
    const at = timestamp();
    await store.database.db
      .insertInto('jobs')
      .values({
        id: 'orphan',
        kind: 'resume',
        payload: '{"from":3}',
        state: 'running',
        run_at: at,
        attempts: 1,
        lease_owner: 'a-process-that-died',
        lease_until: timestamp(new Date(Date.now() - 1)),
        created_at: at,
        updated_at: at,
      })
      .execute();
    const runs: unknown[] = [];
    const jobs = engine();
    jobs.handle('resume', async (run) => {
      runs.push({ payload: run.payload, attempt: run.attempt });
      return undefined;
    });
    await jobs.start();
    await expect.poll(() => runs, { timeout: 20_000 }).toEqual([{ payload: { from: 3 }, attempt: 2 }]);
  });

  it('runs a job in one process of several, however many look for work at once', async () => {
    const runs: string[] = [];
    const all = [engine(), engine(), engine()];
    for (const [index, jobs] of all.entries()) {
      jobs.handle('once', async (run) => {
        runs.push(`${index}:${run.id}`);
        return undefined;
      });
      await jobs.start();
    }
    for (let n = 0; n < 20; n += 1) await all[n % 3]!.enqueue({ id: `job-${n}`, kind: 'once', payload: {} });
    await expect.poll(() => runs.length, { timeout: 20_000 }).toBe(20);
    const ids = runs.map((run) => run.split(':')[1]);
    expect(new Set(ids).size).toBe(20);
  });

  it('runs each tick of a schedule in one process, and records when it ran and how it went', async () => {
    const clock = { now: Date.parse('2026-12-05T10:00:00.000Z') };
    const now = () => clock.now;
    const ran: number[] = [];
    let fail = false;
    const both = [engine({ now }), engine({ now })];
    for (const jobs of both) {
      jobs.schedule({
        name: 'tidy',
        everyMs: 60_000,
        async run() {
          ran.push(clock.now);
          if (fail) throw new Error('the store was away');
        },
      });
      await jobs.start();
    }
    for (let tick = 1; tick <= 3; tick += 1) {
      clock.now += 60_000;
      await expect.poll(() => ran.length, { timeout: 20_000 }).toBe(tick);
    }
    fail = true;
    clock.now += 60_000;
    await expect.poll(() => ran.length, { timeout: 20_000 }).toBe(4);
    await expect.poll(async () => (await both[0]!.schedules())[0]?.lastOutcome, { timeout: 20_000 }).toBe('the store was away');
    const [schedule] = await both[1]!.schedules();
    expect(schedule).toEqual({
      name: 'tidy',
      every: 'every 1 min',
      lastRunAt: new Date(clock.now),
      lastOutcome: 'the store was away',
      nextRunAt: new Date(clock.now + 60_000),
    });
    // Every tick was run by exactly one of the two.
    expect(ran).toEqual([1, 2, 3, 4].map((tick) => Date.parse('2026-12-05T10:00:00.000Z') + tick * 60_000));
  });

  it('gives a due tick to one of two processes that claim it at once', async () => {
    const at = new Date('2026-12-05T10:00:00.000Z');
    await upsertSchedule(store.database.db, 'race', 1_000, at);
    const due = new Date(at.getTime() + 1_000);
    const claims = await Promise.all([claimScheduleTick(store.database.db, 'race', due), claimScheduleTick(store.database.db, 'race', due)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
