import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { RequestError } from '../resolvers/errors.js';
import { createLoginThrottle, LOGIN_THROTTLE, type LoginThrottle } from '../resolvers/login-throttle.js';
import { captureLogs } from './helpers/log-capture.js';
import { deadRedis, emptyRedis, memoryAndRedis, notYetConnectedRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// The throttle itself, on its own stores: in memory on the test's clock (the slow-down is about
// seconds, and no verdict here may wait for real ones), and in Redis for what needs no clock.

/** `ok`, or `wait N s` when refused: what a client would be told. */
async function tryLogIn(throttle: LoginThrottle, username: string, client: string, outcome: 'fails' | 'succeeds' = 'fails'): Promise<string> {
  try {
    const attempt = await throttle.begin(username, client);
    await (outcome === 'fails' ? attempt.failed() : attempt.succeeded());
    return 'ok';
  } catch (error) {
    if (!(error instanceof RequestError) || error.code !== 'RATE_LIMITED') throw error;
    return `wait ${error.details.retryAfterSeconds} s`;
  }
}

describe('the login throttle, in memory, on the test’s clock', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: Date.UTC(2026, 10, 25, 9) }));
  afterEach(() => vi.useRealTimers());

  it(`slows a username down after ${LOGIN_THROTTLE.slowDownAfter} failures in a row, by 1 s, 2 s, 4 s, 8 s, then locks it, whichever client tries`, async () => {
    const throttle = createLoginThrottle();
    // Each guess from a client of its own, the username spelt three ways: only the account's count can stop them.
    let guesses = 0;
    const guess = () => {
      guesses += 1;
      return tryLogIn(throttle, ['ada', 'Ada', ' ADA '][guesses % 3]!, `10.0.0.${guesses}`);
    };
    expect([await guess(), await guess()]).toEqual(['ok', 'ok']);
    // The second failure in a row costs the next try a second.
    expect(await guess()).toBe('wait 1 s');
    vi.advanceTimersByTime(1000);
    expect(await guess()).toBe('ok');
    expect(await guess()).toBe('wait 2 s');
    vi.advanceTimersByTime(1000);
    expect(await guess()).toBe('wait 1 s');
    vi.advanceTimersByTime(1000);
    expect(await guess()).toBe('ok');
    expect(await guess()).toBe('wait 4 s');
    vi.advanceTimersByTime(4000);
    expect(await guess()).toBe('ok');
    expect(await guess()).toBe('wait 8 s');
    vi.advanceTimersByTime(8000);
    // The sixth try after five failures in a row: the username is locked for LOGIN_THROTTLE.lockSeconds.
    expect(await guess()).toBe(`wait ${LOGIN_THROTTLE.lockSeconds} s`);
    vi.advanceTimersByTime(60_000);
    expect(await tryLogIn(throttle, 'ada', '198.51.100.2', 'succeeds')).toBe(`wait ${LOGIN_THROTTLE.lockSeconds - 60} s`);
    vi.advanceTimersByTime((LOGIN_THROTTLE.lockSeconds - 60) * 1000);
    expect(await tryLogIn(throttle, 'ada', '198.51.100.2', 'succeeds')).toBe('ok');
  });

  it('refuses with a 429 that says when to come back, the longer wait when both the username and the client are refused', async () => {
    const throttle = createLoginThrottle();
    // 'ada' locked for lockSeconds, by five failures from clients of their own (each pause waited out).
    for (const [n, pause] of [0, 0, 1, 2, 4].entries()) {
      vi.advanceTimersByTime(pause * 1000);
      expect(await tryLogIn(throttle, 'ada', `10.0.1.${n}`)).toBe('ok');
    }
    vi.advanceTimersByTime(8000);
    expect(await tryLogIn(throttle, 'ada', '10.0.1.9')).toBe(`wait ${LOGIN_THROTTLE.lockSeconds} s`);
    // One client spends its hour's failures on other names; its next try, on 'ada', is refused twice over.
    const client = '203.0.113.40';
    for (let n = 0; n < LOGIN_THROTTLE.maxFailuresPerClient; n += 1) expect(await tryLogIn(throttle, `typo${n}`, client)).toBe('ok');
    const refusal = await throttle.begin('ada', client).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RequestError);
    expect(refusal).toMatchObject({
      code: 'RATE_LIMITED',
      message: 'Too many failed sign-ins; retry in 3600 s',
      details: { retryAfterSeconds: 3600, http: { status: 429, headers: { 'retry-after': '3600' } } },
    });
  });

  it('a failure does not slow a username down before the second one in a row, and a success starts the count again', async () => {
    const throttle = createLoginThrottle();
    expect(await tryLogIn(throttle, 'ada', '203.0.113.5')).toBe('ok');
    expect(await tryLogIn(throttle, 'ada', '203.0.113.5', 'succeeds')).toBe('ok');
    expect(await tryLogIn(throttle, 'ada', '203.0.113.5')).toBe('ok');
    expect(await tryLogIn(throttle, 'ada', '203.0.113.5')).toBe('ok');
    expect(await tryLogIn(throttle, 'ada', '203.0.113.5')).toBe('wait 1 s');
  });
});

describe.each(memoryAndRedis('login-throttle', (redis) => createLoginThrottle({ redis })))('the login throttle, in %s', (_where, open) => {
  it('gives a client its point back when a logIn succeeds: an office behind one address logs in all day', async () => {
    const throttle = await open();
    const office = '192.0.2.10';
    for (let n = 0; n < 2 * LOGIN_THROTTLE.maxFailuresPerClient; n += 1) expect(await tryLogIn(throttle, `user${n}`, office, 'succeeds')).toBe('ok');
    // Its failures still count: the budget is whole.
    for (let n = 0; n < LOGIN_THROTTLE.maxFailuresPerClient; n += 1) expect(await tryLogIn(throttle, `typo${n}`, office)).toBe('ok');
    expect(await tryLogIn(throttle, 'someone', office)).toBe('wait 3600 s');
  });
});

describe('the login throttle whose Redis fails', () => {
  it('lets logIns through uncounted, and the warning says that they are not throttled', async () => {
    const logs = captureLogs();
    const throttle = createLoginThrottle({ redis: deadRedis(), logger: logs.logger });
    for (let n = 0; n < LOGIN_THROTTLE.maxConsecutiveFailures + 2; n += 1) expect(await tryLogIn(throttle, 'ada', '203.0.113.5')).toBe('ok');
    expect(logs.lines().map((line) => [line.level, line.msg])).toEqual([[40, 'login throttle store unreachable: logIns are not throttled until it is back']]);
  });
});

describe.skipIf(!sharedRedis)('the login throttle whose Redis comes back', () => {
  it('says once that logIns are throttled again, and counts them again', async () => {
    const url = redisDatabase('login-throttle');
    await emptyRedis(url);
    // Not connected yet: to the throttle, a store that fails.
    const redis = notYetConnectedRedis(url);
    const logs = captureLogs();
    const throttle = createLoginThrottle({ redis, logger: logs.logger });
    expect(await tryLogIn(throttle, 'ada', '203.0.113.5')).toBe('ok');
    await redis.connect();
    for (let n = 0; n < LOGIN_THROTTLE.slowDownAfter; n += 1) expect(await tryLogIn(throttle, 'ada', '203.0.113.5')).toBe('ok');
    expect(await tryLogIn(throttle, 'ada', '203.0.113.5')).toBe('wait 1 s');
    expect(logs.lines().map((line) => [line.level, line.msg])).toEqual([
      [40, 'login throttle store unreachable: logIns are not throttled until it is back'],
      [30, 'login throttle store reachable again'],
    ]);
  });
});

describe.skipIf(!sharedRedis)('the login throttle, on two instances sharing Redis', () => {
  it('counts a client’s failures through one instance against it on the other', async () => {
    const url = redisDatabase('login-throttle');
    await emptyRedis(url);
    const clients = [new Redis(url), new Redis(url)];
    onTestFinished(() => {
      for (const client of clients) client.disconnect();
    });
    // Ready first: the limiters take a client that is not ready for a failing one.
    await Promise.all(clients.map((client) => client.ping()));
    const [one, two] = clients.map((redis) => createLoginThrottle({ redis }));
    const office = '192.0.2.20';
    for (let n = 0; n < LOGIN_THROTTLE.maxFailuresPerClient; n += 1) expect(await tryLogIn(one!, `typo${n}`, office)).toBe('ok');
    expect(await tryLogIn(two!, 'someone', office)).toBe('wait 3600 s');
  });
});
