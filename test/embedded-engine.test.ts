import { hostname } from 'node:os';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import type { JobState } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { timestamp } from '../db/records.js';
import { createEmbeddedEngine, EMBEDDED_DEFAULTS, type EmbeddedEngineOptions } from '../jobs/embedded.js';
import { DRAINING, type JobEngine } from '../jobs/engine.js';

// The embedded engine's own bookkeeping on SQLite (jobs/embedded.ts, jobs/embedded-scheduler.ts):
// its lease and the renewal of it, a claim another process took over, a database that goes
// away and comes back, a second start(), a close() that stops the work. What it shares with
// BullMQ is in test/job-engine.test.ts.

const START = Date.parse('2026-12-06T10:00:00.000Z');

let database: DatabaseHandle;
const engines: JobEngine[] = [];
const errors: Record<string, unknown>[] = [];
const clock = { now: START };
/** Statements the engines sent (through the database's background handle). */
let statements = 0;

function engine(options: Partial<EmbeddedEngineOptions> = {}): JobEngine {
  const made = createEmbeddedEngine({
    db: database.background,
    dialect: 'sqlite',
    now: () => clock.now,
    observer: { onError: (_error, context) => errors.push(context) },
    ...options,
  });
  engines.push(made);
  return made;
}

const row = (id: string) =>
  database.db.selectFrom('jobs').select(['state', 'attempts', 'lease_owner', 'lease_until', 'last_error']).where('id', '=', id).executeTakeFirstOrThrow();

/** A handler that records each run and holds it until its signal is aborted or `release()`. */
function held() {
  const ran: string[] = [];
  const reasons: unknown[] = [];
  const waiting: (() => void)[] = [];
  return {
    ran,
    reasons,
    handler: async (run: { id: string; signal: AbortSignal }) => {
      ran.push(run.id);
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        run.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      if (run.signal.aborted) reasons.push(run.signal.reason);
      return undefined;
    },
    release: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

/** An engine with one held job under way: started, `id` enqueued, and its run begun. */
async function holding(id: string, options: Partial<EmbeddedEngineOptions> = {}) {
  const jobs = engine(options);
  const work = held();
  jobs.handle('work', work.handler);
  await jobs.start();
  await jobs.enqueue({ id, kind: 'work', payload: {} });
  await expect.poll(() => work.ran, { timeout: 20_000 }).toEqual([id]);
  return { jobs, work };
}

/** Puts a job in the table by hand, as another process (or this one's previous life) left it. */
async function insertJob(id: string, fields: Partial<{ state: JobState; attempts: number; lease_owner: string; lease_until: string }> = {}) {
  const at = timestamp(new Date(START));
  await database.db
    .insertInto('jobs')
    .values({ id, kind: 'work', payload: '{}', state: 'queued', run_at: at, attempts: 0, created_at: at, updated_at: at, ...fields })
    .execute();
}

/** Handles `work` on `jobs` by noting each run's attempt number, and returns the list. */
function recordAttempts(jobs: JobEngine): number[] {
  const attempts: number[] = [];
  jobs.handle('work', async (run) => {
    attempts.push(run.attempt);
    return undefined;
  });
  return attempts;
}

beforeEach(async () => {
  clock.now = START;
  errors.length = 0;
  statements = 0;
  database = openDatabase(':memory:', {
    onQuery: (_event, origin) => {
      if (origin === 'background') statements += 1;
    },
  });
  await migrateToLatest(database.db);
});
afterEach(async () => {
  vi.useRealTimers();
  for (const made of engines.splice(0)) await made.close();
  await database.close();
});

describe('the embedded engine on SQLite', () => {
  it('claims a job for the default lease, and renews it while the job runs', async () => {
    const { jobs } = await holding('long');
    expect(await row('long')).toMatchObject({ state: 'running', lease_until: timestamp(new Date(START + EMBEDDED_DEFAULTS.leaseMs)) });
    await jobs.close();
  });

  it('renews the lease every third of it, on its clock', async () => {
    const { work } = await holding('long', { leaseMs: 90 });
    clock.now += 1_000;
    await expect.poll(() => row('long').then((job) => job.lease_until), { timeout: 20_000 }).toBe(timestamp(new Date(START + 1_000 + 90)));
    work.release();
    await expect.poll(() => row('long').then((job) => job.state), { timeout: 20_000 }).toBe('succeeded');
    expect(work.ran).toEqual(['long']);
  });

  it('stops a run whose claim another process took over, and leaves the job to it', async () => {
    const { work } = await holding('taken', { leaseMs: 90 });
    // As if this process had stalled past its lease and another had claimed the job.
    const until = timestamp(new Date(START + 3_600_000));
    await database.db.updateTable('jobs').set({ lease_owner: 'another-process', lease_until: until, attempts: 2 }).where('id', '=', 'taken').execute();
    await expect.poll(() => work.reasons, { timeout: 20_000 }).toEqual(['lost']);
    // The run that lost its claim writes nothing: the job stays the other process's.
    expect(await row('taken')).toMatchObject({ state: 'running', attempts: 2, lease_owner: 'another-process', lease_until: until });
    expect(errors).toEqual([]);
  });

  it('tells the observer when the database is away, and claims again once it is back', async () => {
    const jobs = engine({ alone: false });
    const ran: string[] = [];
    jobs.handle('work', async (run) => {
      ran.push(run.id);
      return undefined;
    });
    await insertJob('waiting');
    await sql`alter table jobs rename to jobs_away`.execute(database.db);
    await jobs.start();
    expect(errors).toEqual([{ engine: 'embedded', step: 'claim' }]);
    await sql`alter table jobs_away rename to jobs`.execute(database.db);
    await expect.poll(() => ran, { timeout: 20_000 }).toEqual(['waiting']);
  });

  it('tells the observer when a schedule’s tick cannot reach the database', async () => {
    const jobs = engine({ pollMs: 20 });
    let ran = 0;
    jobs.schedule({
      name: 'tidy',
      everyMs: 60_000,
      run: async () => {
        ran += 1;
      },
    });
    await jobs.start();
    await sql`alter table schedules rename to schedules_away`.execute(database.db);
    clock.now += 60_000;
    await expect.poll(() => errors, { timeout: 20_000 }).toContainEqual({ engine: 'embedded', step: 'schedule' });
    expect(ran).toBe(0);
    await sql`alter table schedules_away rename to schedules`.execute(database.db);
  });

  it('without polling, runs every job enqueued while it was looking for work, each once', async () => {
    // No poll to fall back on: a wake-up lost while a look is under way would leave a job queued for good.
    const jobs = engine({ pollMs: null, alone: true });
    const ran: string[] = [];
    jobs.handle('quick', async (run) => {
      ran.push(run.id);
      return undefined;
    });
    await jobs.start();
    await Promise.all(Array.from({ length: 20 }, (_, n) => jobs.enqueue({ id: `quick-${n}`, kind: 'quick', payload: {} })));
    await expect.poll(() => jobs.counts(), { timeout: 20_000 }).toEqual({ queued: 0, running: 0, delayed: 0, succeeded: 20, failed: 0 });
    expect(ran.toSorted()).toEqual(Array.from({ length: 20 }, (_, n) => `quick-${n}`).toSorted());
  });

  it('without polling, wakes when a job that waits is due, and runs a job committed in a transaction once told', async () => {
    // The real clock: nothing but the engine's own wake-up can start these.
    const jobs = createEmbeddedEngine({ db: database.background, dialect: 'sqlite', pollMs: null, alone: true });
    engines.push(jobs);
    const runs: string[] = [];
    jobs.handle('paced', async (run) => {
      runs.push(run.id);
      if (runs.filter((id) => id === run.id).length > 1) return undefined;
      return { retryAt: new Date(Date.now() + 200), reason: 'quota' };
    });
    jobs.handle('recorded', async (run) => {
      runs.push(run.id);
      return undefined;
    });
    await jobs.start();
    await jobs.enqueue({ id: 'paced', kind: 'paced', payload: {} });
    await expect.poll(() => runs, { timeout: 20_000 }).toEqual(['paced', 'paced']);
    const committed = await database.db.transaction().execute((trx) => jobs.enqueueIn(trx, { id: 'recorded', kind: 'recorded', payload: {} }));
    await committed();
    await expect.poll(() => runs, { timeout: 20_000 }).toEqual(['paced', 'paced', 'recorded']);
  });

  it('runs no job before start(), and never more at once than its slots', async () => {
    const jobs = engine({ concurrency: 2 });
    let running = 0;
    let most = 0;
    jobs.handle('quick', async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return undefined;
    });
    await Promise.all(Array.from({ length: 10 }, (_, n) => jobs.enqueue({ id: `early-${n}`, kind: 'quick', payload: {} })));
    // One connection runs statements in order: a claim started by an enqueue would come before this count.
    expect(await jobs.counts()).toEqual({ queued: 10, running: 0, delayed: 0, succeeded: 0, failed: 0 });
    await jobs.start();
    await Promise.all(Array.from({ length: 10 }, (_, n) => jobs.enqueue({ id: `late-${n}`, kind: 'quick', payload: {} })));
    await expect.poll(() => jobs.counts(), { timeout: 20_000 }).toEqual({ queued: 0, running: 0, delayed: 0, succeeded: 20, failed: 0 });
    expect(most).toBe(2);
  });

  it('starts once: a second start() does not take its own running jobs again', async () => {
    // Alone on its database, as with SQLite and one worker: a start queues again the jobs it finds running.
    const { jobs, work } = await holding('once', { alone: true });
    await jobs.start();
    work.release();
    await expect.poll(() => row('once'), { timeout: 20_000 }).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(work.ran).toEqual(['once']);
  });

  it('takes no job once closed: a job queued after close() is the next process’s first run', async () => {
    const first = engine();
    first.handle('work', async () => undefined);
    await first.start();
    await first.close();
    await first.enqueue({ id: 'after-close', kind: 'work', payload: {} });
    const next = engine();
    const runs = recordAttempts(next);
    await next.start();
    await expect.poll(() => runs, { timeout: 20_000 }).toEqual([1]);
  });

  it('runs no further schedule once closed, even one due in the same tick', async () => {
    const ran: string[] = [];
    let entered!: () => void;
    const first = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const jobs = engine({ pollMs: 20 });
    jobs.schedule({
      name: 'a-first',
      everyMs: 60_000,
      async run(signal) {
        ran.push('a-first');
        entered();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
    });
    jobs.schedule({
      name: 'b-second',
      everyMs: 60_000,
      run: async () => {
        ran.push('b-second');
      },
    });
    await jobs.start();
    clock.now += 60_000;
    await first;
    // close() waits for the tick under way, which stops before the next schedule.
    await jobs.close();
    expect(ran).toEqual(['a-first']);
  });

  it('claims in the name of this process, one name per engine', async () => {
    const [one, two] = [engine(), engine()];
    expect(one.backend).toBe('embedded');
    const work = held();
    one.handle('work', work.handler);
    await one.start();
    await one.enqueue({ id: 'mine', kind: 'work', payload: {} });
    await expect.poll(() => work.ran, { timeout: 20_000 }).toEqual(['mine']);
    two.handle('work', work.handler);
    await two.start();
    await two.enqueue({ id: 'yours', kind: 'work', payload: {} });
    await expect.poll(() => work.ran, { timeout: 20_000 }).toHaveLength(2);
    const owners = await database.db.selectFrom('jobs').select('lease_owner').orderBy('id').execute();
    const process = new RegExp(`^${hostname()}:${globalThis.process.pid}:[0-9a-f]{8}$`);
    expect(owners.map((owner) => owner.lease_owner)).toEqual([expect.stringMatching(process), expect.stringMatching(process)]);
    expect(owners[0]!.lease_owner).not.toBe(owners[1]!.lease_owner);
    work.release();
  });

  it('never claims again a job it is running, even once its lease looks past on the clock', async () => {
    const { jobs, work } = await holding('long', { concurrency: 2 });
    // Past the lease before its renewal: to the database the job is free to claim.
    clock.now += 2 * EMBEDDED_DEFAULTS.leaseMs;
    await jobs.enqueue({ id: 'next', kind: 'work', payload: {} });
    await expect.poll(() => work.ran, { timeout: 20_000 }).toEqual(['long', 'next']);
    await jobs.counts();
    expect(work.ran).toEqual(['long', 'next']);
    work.release();
  });

  it('runs one job at a time in one slot, however many enqueues wake it at once', async () => {
    const jobs = engine({ concurrency: 1 });
    const work = held();
    jobs.handle('work', work.handler);
    await jobs.start();
    await Promise.all(Array.from({ length: 10 }, (_, n) => jobs.enqueue({ id: `job-${n}`, kind: 'work', payload: {} })));
    await expect.poll(() => work.ran.length, { timeout: 20_000 }).toBe(1);
    // Claims asked for before this count come before it on the one connection.
    expect(await jobs.counts()).toMatchObject({ running: 1, queued: 9 });
    expect(work.ran).toHaveLength(1);
    work.release();
  });

  it('sends no statement while its slots are full, even with a job due', async () => {
    const jobs = engine({ concurrency: 1 });
    const work = held();
    jobs.handle('work', work.handler);
    await jobs.start();
    await jobs.enqueue({ id: 'first', kind: 'work', payload: {} });
    await jobs.enqueue({ id: 'second', kind: 'work', payload: {} });
    await expect.poll(() => work.ran, { timeout: 20_000 }).toEqual(['first']);
    await jobs.counts();
    const before = statements;
    // A wait, not a verdict on speed: an engine that looked for work while full would look again and again meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(statements).toBe(before);
    work.release();
    await expect.poll(() => work.ran, { timeout: 20_000 }).toEqual(['first', 'second']);
    work.release();
  });

  it('tells the observer which job’s lease it could not renew, and how a run’s end could not be written', async () => {
    const { work } = await holding('cut-off', { leaseMs: 90 });
    await sql`alter table jobs rename to jobs_away`.execute(database.db);
    await expect.poll(() => errors, { timeout: 20_000 }).toContainEqual({ engine: 'embedded', step: 'lease', job: 'cut-off' });
    work.release();
    await expect.poll(() => errors, { timeout: 20_000 }).toContainEqual({ engine: 'embedded', step: 'end', job: 'cut-off' });
    await sql`alter table jobs_away rename to jobs`.execute(database.db);
  });

  it('goes on without an observer through a database that is away at a claim and at a renewal', async () => {
    const jobs = engine({ leaseMs: 90, observer: {} });
    const work = held();
    jobs.handle('work', work.handler);
    await insertJob('first');
    await sql`alter table jobs rename to jobs_away`.execute(database.db);
    await jobs.start();
    await sql`alter table jobs_away rename to jobs`.execute(database.db);
    // Claimed once the claim is tried again (after a second).
    await expect.poll(() => work.ran, { timeout: 20_000 }).toEqual(['first']);
    await sql`alter table jobs rename to jobs_away`.execute(database.db);
    const renewals = statements;
    await expect.poll(() => statements, { timeout: 20_000 }).toBeGreaterThan(renewals);
    await sql`alter table jobs_away rename to jobs`.execute(database.db);
    work.release();
    await expect.poll(() => row('first').then((job) => job.state), { timeout: 20_000 }).toBe('succeeded');
  });

  it('goes on without an observer when a run’s end cannot be written, and the job is run again', async () => {
    const { jobs, work } = await holding('unwritten', { observer: {} });
    await sql`alter table jobs rename to jobs_away`.execute(database.db);
    const before = statements;
    work.release();
    // The end's write, then the claim the ended run wakes: both fail, and the engine goes on.
    await expect.poll(() => statements, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 2);
    await jobs.close();
    await sql`alter table jobs_away rename to jobs`.execute(database.db);
    expect(await row('unwritten')).toMatchObject({ state: 'running', attempts: 1 });
    // Its lease runs out, and the job is claimed and run again.
    clock.now += 2 * EMBEDDED_DEFAULTS.leaseMs;
    const next = engine({ observer: {} });
    const attempts = recordAttempts(next);
    await next.start();
    await expect.poll(() => attempts, { timeout: 20_000 }).toEqual([2]);
  });

  it('renews a running job’s lease every third of the lease', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { work } = await holding('long', { leaseMs: 90_000 });
    clock.now += 1_000;
    vi.advanceTimersByTime(30_000);
    await expect.poll(() => row('long').then((job) => job.lease_until), { timeout: 20_000 }).toBe(timestamp(new Date(START + 1_000 + 90_000)));
    work.release();
  });

  it('alone on its database, takes up at once a job its previous life left running', async () => {
    await insertJob('left', { state: 'running', attempts: 1, lease_owner: 'previous-life', lease_until: timestamp(new Date(START + 3_600_000)) });
    const jobs = engine({ alone: true });
    const runs = recordAttempts(jobs);
    await jobs.start();
    await expect.poll(() => runs, { timeout: 20_000 }).toEqual([2]);
  });

  it('closes once its running jobs have given their work back and their ends are written', async () => {
    const jobs = engine();
    const heard: unknown[] = [];
    jobs.handle('work', async (run) => {
      heard.push('started');
      await new Promise((resolve) => run.signal.addEventListener('abort', resolve, { once: true }));
      heard.push(run.signal.reason);
      // Giving the work back takes a while: a checkpoint to write.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return undefined;
    });
    await jobs.start();
    await jobs.enqueue({ id: 'draining', kind: 'work', payload: {} });
    await expect.poll(() => heard, { timeout: 20_000 }).toEqual(['started']);
    await jobs.close();
    expect(heard).toEqual(['started', DRAINING]);
    expect((await row('draining')).state).not.toBe('running');
  });

  it('fails for good a job whose payload is not JSON, and its slot goes on to the next job', async () => {
    const jobs = engine({ concurrency: 1 });
    const runs = recordAttempts(jobs);
    const at = timestamp(new Date(START));
    await database.db
      .insertInto('jobs')
      .values({ id: 'garbled', kind: 'work', payload: '{"cut', state: 'queued', run_at: at, attempts: 0, created_at: at, updated_at: at })
      .execute();
    await jobs.start();
    await expect.poll(() => row('garbled'), { timeout: 20_000 }).toMatchObject({ state: 'failed', attempts: 1 });
    expect((await row('garbled')).last_error).toMatch(/^its payload is not JSON: /);
    // The engine's one slot is free again.
    await jobs.enqueue({ id: 'next', kind: 'work', payload: {} });
    await expect.poll(() => runs, { timeout: 20_000 }).toEqual([1]);
    expect(runs).toEqual([1]);
  });

  it('tells a job claimed while it closes to stop too, and closes once it has', async () => {
    // The claim that takes the job is held until close() has begun.
    let claimed: () => void = () => {};
    const claimReached = new Promise<void>((resolve) => (claimed = resolve));
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const claims = new Set<unknown>();
    const jobs = engine({
      db: database.background.withPlugin({
        transformQuery: ({ node, queryId }) => {
          if (node.kind === 'UpdateQueryNode' && node.returning) claims.add(queryId);
          return node;
        },
        transformResult: async ({ queryId, result }) => {
          if (claims.has(queryId) && result.rows.length > 0) {
            claimed();
            await gate;
          }
          return result;
        },
      }),
    });
    const work = held();
    jobs.handle('work', work.handler);
    await jobs.start();
    await jobs.enqueue({ id: 'late-claim', kind: 'work', payload: {} });
    await claimReached;
    const closed = jobs.close();
    release();
    await closed;
    expect(work.ran).toEqual(['late-claim']);
    expect(work.reasons).toEqual([DRAINING]);
    // Its end is written before close() returns.
    expect((await row('late-claim')).state).not.toBe('running');
  });

  it('looks for work once when it starts, and sends nothing more while idle', async () => {
    const jobs = engine({ alone: false });
    jobs.handle('work', async () => undefined);
    await jobs.start();
    // A wait, not a verdict on speed: an engine that looked again, or polled, would send statements meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The claim's look for a free job (it finds none, so it updates nothing), and the look for the next one due.
    expect(statements).toBe(2);
  });
});
