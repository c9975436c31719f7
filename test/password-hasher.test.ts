import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../resolvers/password-hasher.js';
import { hashPassword } from '../resolvers/passwords.js';

// The bound on password hashing, on its own: a burst in one tick meets it before any hash is
// done (each takes tens of milliseconds), so the counts are exact on any machine.

const LIMITS = { concurrency: 2, queue: 3 };

/** What each call came to, in the order they settled. */
function settleOrder(calls: Promise<unknown>[]) {
  const order: string[] = [];
  const settled = calls.map((call, index) =>
    call.then(
      () => order.push(`${index}: done`),
      (error: { code?: string; details?: unknown }) => order.push(`${index}: ${error.code} ${JSON.stringify(error.details)}`),
    ),
  );
  return Promise.all(settled).then(() => order);
}

describe('password hasher', () => {
  it('admits the bound and its queue of a burst, refuses the rest at once (RATE_LIMITED, retry in a second), and runs at most the bound at a time', async () => {
    const hasher = createPasswordHasher(LIMITS);
    const order = await settleOrder(Array.from({ length: 9 }, () => hasher.hash('a long enough password')));
    const refusal = `RATE_LIMITED ${JSON.stringify({ retryAfterSeconds: 1, http: { status: 429, headers: { 'retry-after': '1' } } })}`;
    // The four past the bound and the queue are refused before any hash is done.
    expect(order.slice(0, 4)).toEqual([5, 6, 7, 8].map((index) => `${index}: ${refusal}`));
    expect(order.slice(4).sort()).toEqual(['0: done', '1: done', '2: done', '3: done', '4: done']);
    expect(hasher.stats()).toEqual({ running: 0, queued: 0, peakRunning: 2, peakQueued: 3, done: 5, refused: 4 });
    // With the queue empty again, the next call is admitted.
    await expect(hasher.hash('another password')).resolves.toMatch(/\S/);
  });

  it('with no queue, admits exactly the bound and refuses the next, telling the client why', async () => {
    const hasher = createPasswordHasher({ concurrency: 2, queue: 0 });
    const calls = Array.from({ length: 3 }, () => hasher.hash('a long enough password'));
    const order = await settleOrder(calls);
    expect(order[0]).toMatch(/^2: RATE_LIMITED /);
    expect(order.slice(1).sort()).toEqual(['0: done', '1: done']);
    await expect(calls[2]).rejects.toThrow('The server is busy checking passwords; retry in a second');
  });

  it('bounds checks like hashes, and their answers are right', async () => {
    const hasher = createPasswordHasher(LIMITS);
    const stored = await hashPassword('the right password');
    const checks = await Promise.allSettled([
      hasher.verify('the right password', stored),
      hasher.verify('a wrong password', stored),
      ...Array.from({ length: 5 }, () => hasher.verify('the right password', stored)),
    ]);
    expect(checks.map((check) => (check.status === 'fulfilled' ? check.value : (check.reason as { code: string }).code))).toEqual([
      true,
      false,
      true,
      true,
      true,
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
  });

  it('lets an admin’s batch wait its turn however long the queue, still at most the bound at a time', async () => {
    const hasher = createPasswordHasher(LIMITS);
    const hashes = await Promise.all(Array.from({ length: 8 }, (_, n) => hasher.hashInTurn(`password number ${n}`)));
    expect(new Set(hashes).size).toBe(8);
    expect(hasher.stats()).toMatchObject({ peakRunning: 2, peakQueued: 6, done: 8, refused: 0 });
  });
});
