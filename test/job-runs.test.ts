import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { timestamp } from '../db/records.js';
import { createEmbeddedEngine } from '../jobs/embedded.js';
import { CANCELLED, checkJobId, DRAINING, type JobEngine, type JobHandler, type JobRunOutcome, MAX_JOB_ATTEMPTS, retryDelayMs } from '../jobs/engine.js';
import { runJob } from '../jobs/run-job.js';

// How a run of a job ends, and what it tells the metrics: the observer's onRun(kind, outcome)
// becomes gatherql_job_runs_total{kind,outcome} and its duration gatherql_job_duration_seconds
// (gateway.ts, jobObserver). First runJob alone, then every outcome through the embedded
// engine on SQLite, where the job's row says how the engine recorded it.

interface Heard {
  runs: { kind: string; outcome: JobRunOutcome; durationMs: number }[];
  errors: { error: unknown; context: Record<string, unknown> }[];
}

function listen(): Heard & { observer: Parameters<typeof runJob>[2] } {
  const heard: Heard = { runs: [], errors: [] };
  return {
    ...heard,
    observer: {
      onRun: (kind, outcome, durationMs) => heard.runs.push({ kind, outcome, durationMs }),
      onError: (error, context) => heard.errors.push({ error, context }),
    },
  };
}

const run = (attempt = 1, signal = new AbortController().signal) => ({ id: 'job-1', kind: 'tally', payload: { n: 1 }, attempt, signal });

describe('runJob: one run and what it reports', () => {
  it('a handler that returns nothing succeeded, and its duration is the time it took', async () => {
    const heard = listen();
    let seen: unknown;
    const before = performance.now();
    const end = await runJob(
      run(),
      async (job) => {
        seen = job.payload;
        await new Promise((resolve) => setTimeout(resolve, 30));
        return undefined;
      },
      heard.observer,
    );
    const elapsed = performance.now() - before;
    expect(end).toEqual({ end: 'done', cancelled: false });
    expect(seen).toEqual({ n: 1 });
    expect(heard.runs.map(({ kind, outcome }) => ({ kind, outcome }))).toEqual([{ kind: 'tally', outcome: 'succeeded' }]);
    // setTimeout may fire up to a millisecond early by performance.now()'s clock.
    expect(heard.runs[0]!.durationMs).toBeGreaterThanOrEqual(29);
    expect(heard.runs[0]!.durationMs).toBeLessThanOrEqual(elapsed);
    expect(heard.errors).toEqual([]);
  });

  it.each([
    ['quota', 'waiting'],
    ['drain', 'drained'],
    ['retry', 'retried'],
  ] as const)('a wait for %s runs again at the time the handler named, reported as %s', async (reason, outcome) => {
    const heard = listen();
    const retryAt = new Date('2026-12-06T10:00:00.000Z');
    const end = await runJob(run(), async () => ({ retryAt, reason }), heard.observer);
    expect(end).toEqual({ end: 'again', runAt: retryAt });
    expect(heard.runs.map((item) => item.outcome)).toEqual([outcome]);
    expect(heard.errors).toEqual([]);
  });

  it('a run that stopped because it was cancelled is cancelled; one stopped by a drain that returned nothing succeeded', async () => {
    const heard = listen();
    const cancel = new AbortController();
    cancel.abort(CANCELLED);
    expect(await runJob(run(1, cancel.signal), async () => undefined, heard.observer)).toEqual({ end: 'done', cancelled: true });
    const drain = new AbortController();
    drain.abort(DRAINING);
    expect(await runJob(run(1, drain.signal), async () => undefined, heard.observer)).toEqual({ end: 'done', cancelled: false });
    expect(heard.runs.map((item) => item.outcome)).toEqual(['cancelled', 'succeeded']);
  });

  it('a handler that throws is retried until its last attempt, then failed, and each failure is told with its job', async () => {
    const heard = listen();
    const failure = new Error('upstream said no');
    const handler: JobHandler = async () => {
      throw failure;
    };
    expect(await runJob(run(MAX_JOB_ATTEMPTS - 1), handler, heard.observer)).toEqual({ end: 'error', error: 'upstream said no', final: false });
    expect(await runJob(run(MAX_JOB_ATTEMPTS), handler, heard.observer)).toEqual({ end: 'error', error: 'upstream said no', final: true });
    expect(heard.runs.map((item) => item.outcome)).toEqual(['retried', 'failed']);
    expect(heard.errors).toEqual([
      { error: failure, context: { job: 'job-1', kind: 'tally', attempt: MAX_JOB_ATTEMPTS - 1, final: false } },
      { error: failure, context: { job: 'job-1', kind: 'tally', attempt: MAX_JOB_ATTEMPTS, final: true } },
    ]);
  });

  it('a thrown value that is not an Error is kept as its text', async () => {
    const heard = listen();
    const end = await runJob(
      run(),
      async () => {
        throw 'quota store away';
      },
      heard.observer,
    );
    expect(end).toEqual({ end: 'error', error: 'quota store away', final: false });
  });

  it('runs with an observer that listens to nothing', async () => {
    expect(await runJob(run(), async () => undefined, {})).toEqual({ end: 'done', cancelled: false });
    const retryAt = new Date('2026-12-06T10:00:00.000Z');
    expect(await runJob(run(), async () => ({ retryAt, reason: 'quota' }), {})).toEqual({ end: 'again', runAt: retryAt });
    expect(
      await runJob(
        run(),
        async () => {
          throw new Error('x');
        },
        {},
      ),
    ).toEqual({ end: 'error', error: 'x', final: false });
  });
});

describe('retries: backoff and attempts', () => {
  it('doubles the wait from 1 s after each failed run, up to 5 minutes', () => {
    expect([1, 2, 3, 4, 8, 9, 10, 20].map(retryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 128_000, 256_000, 300_000, 300_000]);
    expect(MAX_JOB_ATTEMPTS).toBe(8);
  });

  it.each(['', 'a'.repeat(101), 'report:1', 'report 1', 'rapport-é', 'a/b'])('refuses the job id %j', (id) => {
    expect(() => checkJobId(id)).toThrow(`a job id is 1-100 letters, digits, '-' or '_' (got ${JSON.stringify(id)})`);
  });

  it.each(['a', 'a'.repeat(100), 'city-report_42', 'Z9'])('accepts the job id %j', (id) => {
    expect(() => checkJobId(id)).not.toThrow();
  });
});

describe('the embedded engine on SQLite: every outcome, in the metrics and in the job row', () => {
  let database: DatabaseHandle;
  let heard: ReturnType<typeof listen>;
  const engines: JobEngine[] = [];
  const clock = { now: Date.parse('2026-12-06T10:00:00.000Z') };
  const engine = () => {
    const made = createEmbeddedEngine({ db: database.background, dialect: 'sqlite', pollMs: 20, observer: heard.observer, now: () => clock.now });
    engines.push(made);
    return made;
  };
  const row = (id: string) =>
    database.db.selectFrom('jobs').select(['state', 'attempts', 'last_error', 'run_at']).where('id', '=', id).executeTakeFirstOrThrow();
  const tally = () => {
    const counts: Record<string, number> = {};
    for (const { kind, outcome } of heard.runs) counts[`${kind} ${outcome}`] = (counts[`${kind} ${outcome}`] ?? 0) + 1;
    return counts;
  };

  beforeEach(async () => {
    clock.now = Date.parse('2026-12-06T10:00:00.000Z');
    heard = listen();
    database = openDatabase(':memory:');
    await migrateToLatest(database.db);
  });
  afterEach(async () => {
    for (const made of engines.splice(0)) await made.close();
    await database.close();
  });

  it('counts each outcome once per run, by kind', async () => {
    const jobs = engine();
    const waits: Record<string, 'quota' | 'drain' | 'retry'> = { 'wait-quota': 'quota', 'wait-drain': 'drain', 'wait-retry': 'retry' };
    const runs: Record<string, number> = {};
    jobs.handle('wait', async (job) => {
      runs[job.id] = (runs[job.id] ?? 0) + 1;
      if (runs[job.id]! > 1) return undefined;
      return { retryAt: new Date(clock.now + 60_000), reason: waits[job.id]! };
    });
    jobs.handle('fine', async () => undefined);
    await jobs.start();
    await jobs.enqueue({ id: 'fine-1', kind: 'fine', payload: {} });
    await jobs.enqueue({ id: 'fine-2', kind: 'fine', payload: {} });
    for (const id of Object.keys(waits)) await jobs.enqueue({ id, kind: 'wait', payload: {} });
    await expect.poll(() => heard.runs.length, { timeout: 20_000 }).toBe(5);
    // Each wait is queued again for the time its handler named, no sooner.
    for (const id of Object.keys(waits)) expect(await row(id)).toMatchObject({ state: 'queued', attempts: 1, run_at: timestamp(new Date(clock.now + 60_000)) });
    clock.now += 60_000;
    await expect.poll(() => jobs.counts(), { timeout: 20_000 }).toEqual({ queued: 0, running: 0, delayed: 0, succeeded: 5, failed: 0 });
    expect(tally()).toEqual({ 'fine succeeded': 2, 'wait waiting': 1, 'wait drained': 1, 'wait retried': 1, 'wait succeeded': 3 });
    expect(runs).toEqual({ 'wait-quota': 2, 'wait-drain': 2, 'wait-retry': 2 });
  });

  it('retries a run that threw after the backoff, and records its error', async () => {
    const jobs = engine();
    let runs = 0;
    jobs.handle('flaky', async () => {
      runs += 1;
      if (runs === 1) throw new Error('first run fails');
      return undefined;
    });
    await jobs.start();
    await jobs.enqueue({ id: 'flaky-1', kind: 'flaky', payload: {} });
    await expect.poll(() => row('flaky-1'), { timeout: 20_000 }).toMatchObject({ state: 'queued', attempts: 1, last_error: 'first run fails' });
    expect(await row('flaky-1')).toMatchObject({ run_at: timestamp(new Date(clock.now + retryDelayMs(1))) });
    clock.now += retryDelayMs(1);
    await expect.poll(() => row('flaky-1'), { timeout: 20_000 }).toMatchObject({ state: 'succeeded', attempts: 2, last_error: null });
    expect(tally()).toEqual({ 'flaky retried': 1, 'flaky succeeded': 1 });
    expect(heard.errors.map((item) => item.context)).toEqual([{ job: 'flaky-1', kind: 'flaky', attempt: 1, final: false }]);
  });

  it('fails a job for good when its last attempt throws', async () => {
    // The job has used all its attempts but one (as after seven failed runs).
    const at = timestamp(new Date(clock.now));
    await database.db
      .insertInto('jobs')
      .values({ id: 'doomed', kind: 'doomed', payload: '{}', state: 'queued', run_at: at, attempts: MAX_JOB_ATTEMPTS - 1, created_at: at, updated_at: at })
      .execute();
    const jobs = engine();
    jobs.handle('doomed', async () => {
      throw new Error('still broken');
    });
    await jobs.start();
    await expect.poll(() => row('doomed'), { timeout: 20_000 }).toMatchObject({ state: 'failed', attempts: MAX_JOB_ATTEMPTS, last_error: 'still broken' });
    expect(await jobs.counts()).toMatchObject({ failed: 1, queued: 0, running: 0 });
    expect(tally()).toEqual({ 'doomed failed': 1 });
  });

  it('records a cancelled run as cancelled, and a queued one cancelled never runs', async () => {
    const jobs = engine();
    const ran: string[] = [];
    jobs.handle('long', async (job) => {
      ran.push(job.id);
      await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
      return undefined;
    });
    jobs.handle('mark', async (job) => {
      ran.push(job.id);
      return undefined;
    });
    await jobs.start();
    await jobs.enqueue({ id: 'long-1', kind: 'long', payload: {} });
    await expect.poll(() => ran, { timeout: 20_000 }).toEqual(['long-1']);
    await jobs.cancel('long-1');
    await expect.poll(() => row('long-1'), { timeout: 20_000 }).toMatchObject({ state: 'cancelled' });
    expect(tally()).toEqual({ 'long cancelled': 1 });
    // Cancelling an id that is not running stops it before it runs; a marker after it runs alone.
    await jobs.close();
    const next = engine();
    next.handle('long', async (job) => {
      ran.push(job.id);
      return undefined;
    });
    next.handle('mark', async (job) => {
      ran.push(job.id);
      return undefined;
    });
    await next.enqueue({ id: 'queued', kind: 'long', payload: {} });
    await next.cancel('queued');
    await next.enqueue({ id: 'marker', kind: 'mark', payload: {} });
    await next.start();
    await expect.poll(() => ran, { timeout: 20_000 }).toEqual(['long-1', 'marker']);
    expect(await row('queued')).toMatchObject({ state: 'cancelled', attempts: 0 });
  });

  it('refuses a job id no backend can keep, and queues nothing', async () => {
    const jobs = engine();
    jobs.handle('any', async () => undefined);
    await expect(jobs.enqueue({ id: 'report:1', kind: 'any', payload: {} })).rejects.toThrow('a job id is 1-100 letters');
    await expect(database.db.transaction().execute((trx) => jobs.enqueueIn(trx, { id: 'a b', kind: 'any', payload: {} }))).rejects.toThrow(
      'a job id is 1-100 letters',
    );
    expect(await jobs.counts()).toEqual({ queued: 0, running: 0, delayed: 0, succeeded: 0, failed: 0 });
  });
});
