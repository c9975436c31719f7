import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_LOOP, shareAmongWorkers } from '../http/workers.js';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { testConfig } from './helpers/gateway.js';
import { watchSse } from './helpers/live-clients.js';
import { buildWorkersBundle, runServerToExit, type ServerProcess, startServerProcess } from './helpers/server-process.js';

// WORKERS=2: server.ts forks two whole gateways on one port and watches them.

// The server runs bundled, as `npm start` runs it, so that a worker does not compile the
// TypeScript when it starts. A bundled worker listens within seconds; the waits stay long
// because the rest of the suite keeps both CPUs busy, and a wait that ends early passes early.
const WORKER_START_MS = 180_000;
// The longest test waits for a death (20 s), then for a new worker, then serves five requests.
const TEST_MS = 20_000 + WORKER_START_MS + 60_000;

beforeAll(buildWorkersBundle, 120_000);

const lines = (server: ServerProcess) =>
  server
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; pid: number; [key: string]: unknown });

describe('WORKERS=2', { timeout: TEST_MS }, () => {
  let dir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatherql-workers-'));
    // Without AUTH_SECRET on purpose: the workers must still share one (the primary makes it).
    server = await startServerProcess(
      // A rate limit no test reaches: it is there to be counted.
      { DATABASE_URL: `file:${join(dir, 'workers.sqlite')}`, WORKERS: '2', RATE_LIMIT_PER_MINUTE: '1000' },
      WORKER_START_MS,
      'workers-bundle',
    );
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const graphql = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const serverSaidSince = (victim: number) => {
    const out = server.stdout().split('\n');
    const from = out.findIndex((line) => line.includes('"worker died; starting a new one"') && line.includes(`"pid":${victim}`));
    return [...out.slice(Math.max(0, from)).slice(-40), server.stderr().slice(-4000)].join('\n');
  };
  const listening = () => lines(server).filter((line) => line.msg.startsWith('gatherql is listening'));

  it('serves from two whole gateways on one port, which share the database and the signing secret', async () => {
    await expect.poll(() => listening().length, { timeout: WORKER_START_MS }).toBe(2);
    const primary = lines(server).find((line) => line.msg === 'started the workers')!;
    expect(primary.workers).toBe(2);
    // The demo data was seeded once, by the primary, before the workers started.
    expect(lines(server).filter((line) => line.msg.startsWith('empty embedded database: seeded'))).toHaveLength(1);
    const signUp =
      'mutation { signUp(input: { username: "spread", email: "spread@example.com", password: "long enough secret" }) { ... on AuthPayload { token } } }';
    const token = (await graphql(signUp)).body.data.signUp.token as string;
    // Keep-alive would keep one connection on one worker: each request opens its own.
    for (let n = 0; n < 20; n += 1) {
      const answer = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, connection: 'close' },
        body: JSON.stringify({ query: '{ viewer { username } }' }),
      });
      expect(((await answer.json()) as any).data.viewer).toEqual({ username: 'spread' });
    }
    const workers = new Set(
      lines(server)
        .filter((line) => line.msg === 'request')
        .map((line) => line.pid),
    );
    expect(workers.size).toBe(2);
  });

  it('without Redis, hands a subscriber on one worker the posts published through the other (relayed by the primary)', async () => {
    const logIn = 'mutation { logIn(username: "ada", password: "gatherql-demo") { ... on AuthPayload { token } } }';
    const token = (await graphql(logIn)).body.data.logIn.token as string;
    const watch = await watchSse(`${server.url}/graphql`, 'subscription { postPublished { title } }');
    const creating = (title: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, connection: 'close' },
        body: JSON.stringify({
          query: 'mutation ($t: String!) { createPost(input: { title: $t, content: "words", published: true }) { __typename } }',
          variables: { t: title },
        }),
      });
    // Each on a connection of its own: the primary hands new connections to the workers in turn.
    const titles = Array.from({ length: 6 }, (_, n) => `relayed ${n}`);
    for (const title of titles) expect((await creating(title)).status).toBe(200);
    await expect.poll(() => watch.events.length, { timeout: 20_000 }).toBe(6);
    expect(watch.events.map((event) => event.data.postPublished.title)).toEqual(titles);
    const writers = lines(server).filter((line) => line.msg === 'request' && line.client === 'user:1' && line.operationName === null);
    expect(new Set(writers.map((line) => line.pid)).size).toBe(2);
    await watch.close();
  });

  it('without Redis, counts one rate limit per client for both workers (in the primary)', async () => {
    await expect.poll(() => listening().length, { timeout: WORKER_START_MS }).toBe(2);
    const remaining: number[] = [];
    // Each on a connection of its own, so the two workers take them in turn.
    for (let n = 0; n < 6; n += 1) {
      const answer = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ query: 'query Counted { __typename }' }),
      });
      expect(answer.headers.get('ratelimit-limit')).toBe('1000');
      remaining.push(Number(answer.headers.get('ratelimit-remaining')));
    }
    // One count: each request spends from what the one before it left, whichever worker took it.
    expect(remaining.slice(1)).toEqual(remaining.slice(0, -1).map((left) => left - 1));
    // Each worker writes its log lines when it can: they are waited for.
    const counters = () => new Set(lines(server).flatMap((line) => (line.msg === 'request' && line.operationName === 'Counted' ? [line.pid] : []))).size;
    await expect.poll(counters, { timeout: 20_000 }).toBe(2);
  });

  it('without Redis, locks a username after five failed logIns in all, whichever workers took them', async () => {
    const guess = () =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ query: 'mutation Guess { logIn(username: "grace", password: "a wrong guess") { __typename } }' }),
      }).then(async (answer) => (await answer.json()) as any);
    let failed = 0;
    for (;;) {
      const body = await guess();
      if (body.data) {
        failed += 1;
        continue;
      }
      expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
      const wait = body.errors[0].extensions.retryAfterSeconds as number;
      // Locked for the quarter of an hour: the guesses are over. A pause (1 s, 2 s, 4 s …) is waited out.
      if (wait > 60) break;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
    // Each worker alone would have allowed five.
    expect(failed).toBe(5);
    const guessers = () => new Set(lines(server).flatMap((line) => (line.msg === 'request' && line.operationName === 'Guess' ? [line.pid] : []))).size;
    await expect.poll(guessers, { timeout: 20_000 }).toBe(2);
  });

  it('replaces a worker that dies, and keeps serving', async () => {
    const victim = listening()[0]!.pid;
    process.kill(victim, 'SIGKILL');
    await expect
      .poll(() => lines(server).some((line) => line.msg === 'worker died; starting a new one' && line.pid === victim), { timeout: 20_000 })
      .toBe(true);
    // Should the new worker not come, the failure shows what the server said meanwhile.
    await expect
      .poll(() => listening().length, { timeout: WORKER_START_MS })
      .toBe(3)
      .catch((error: Error) => {
        throw new Error(`${error.message}\nthe server's log since the kill:\n${serverSaidSince(victim)}`);
      });
    for (let n = 0; n < 5; n += 1) expect((await graphql('{ posts(first: 1) { totalCount } }')).body.data.posts.totalCount).toBeGreaterThan(0);
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const workers = new Set(listening().map((line) => line.pid));
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(lines(server).filter((line) => line.msg === 'stopped').length).toBeGreaterThanOrEqual(1);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('WORKERS=2, with workers that cannot start', () => {
  it(`gives up once ${CRASH_LOOP.times} workers in a row have died at start, and exits 1 saying so`, async () => {
    // The port is taken: every worker dies when it tries to listen, however long its start took.
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const dir = mkdtempSync(join(tmpdir(), 'gatherql-workers-'));
    try {
      const port = (taken.address() as { port: number }).port;
      const result = await runServerToExit(
        { DATABASE_URL: `file:${join(dir, 'workers.sqlite')}`, WORKERS: '2', PORT: String(port) },
        600_000,
        'workers-bundle',
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`gatherql: workers keep dying at start (${CRASH_LOOP.times} in a row); see the log above`);
      expect(result.stderr).toContain(`gatherql: cannot listen on 127.0.0.1:${port}`);
      const logged = result.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string });
      // Each death but the last was replaced.
      expect(logged.filter((line) => line.msg === 'worker died; starting a new one')).toHaveLength(CRASH_LOOP.times - 1);
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 660_000);
});

describe('shareAmongWorkers', () => {
  it('gives each of N workers 1/N of every upstream quota without Redis, and the whole with it; the per-client budgets stay whole', () => {
    const config = testConfig({ WORKERS: '3', RATE_LIMIT_PER_MINUTE: '100', UPSTREAM_BUDGET_PER_MINUTE: '200', OPEN_METEO_QUOTA: '600/minute,5000/hour' });
    expect(shareAmongWorkers(config)).toMatchObject({
      // Counted once for all workers, in the primary.
      rateLimitPerMinute: 100,
      upstreamBudgetPerMinute: 200,
      openMeteoQuota: { minute: 200, hour: 1666 },
      // 3 x 5 = 15 a day: the parts of a quota never add up to more than the whole (16/day).
      restCountriesQuota: { day: 5 },
    });
    expect(shareAmongWorkers(testConfig({ WORKERS: '4', REST_COUNTRIES_QUOTA: '2/minute' })).restCountriesQuota).toEqual({ minute: 1 });
    const shared = testConfig({ WORKERS: '3', REDIS_URL: 'redis://127.0.0.1:1', AUTH_SECRET: TEST_AUTH_SECRET });
    expect(shareAmongWorkers(shared)).toBe(shared);
  });
});
