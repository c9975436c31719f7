import { afterEach, describe, expect, it } from 'vitest';
import { type CircuitChange, createHostGuard, type HostGuard } from '../sources/kit/host-guard.js';
import { UpstreamError } from '../sources/kit/upstream-error.js';
import type { BreakerPolicy } from '../sources/kit/upstream-policy.js';

const BREAKER: BreakerPolicy = { errorThresholdPercentage: 50, volumeThreshold: 4, rollingWindowMs: 60_000, resetTimeoutMs: 60_000 };

const hostDown = () => new UpstreamError('UPSTREAM_UNAVAILABLE', 'forecast failed (HTTP 503)');
const badAnswer = () => new UpstreamError('UPSTREAM_BAD_RESPONSE', 'forecast answered HTTP 400');

let guards: HostGuard[] = [];
afterEach(() => {
  for (const guard of guards) guard.close();
  guards = [];
});

function guardOf(breaker: Partial<BreakerPolicy> = {}, concurrency = 4) {
  const changes: CircuitChange['state'][] = [];
  const guard = createHostGuard({
    source: 'forecast',
    host: 'api.open-meteo.com',
    concurrency,
    breaker: { ...BREAKER, ...breaker },
    onChange: (change) => {
      expect(change).toMatchObject({ source: 'forecast', host: 'api.open-meteo.com' });
      changes.push(change.state);
    },
  });
  guards.push(guard);
  const fail = (error: () => Error) => guard.run(() => Promise.reject(error()), 'The forecast').catch((caught: unknown) => caught);
  const succeed = () => guard.run(async () => 'ok', 'The forecast');
  return { guard, changes, fail, succeed };
}

describe('the host guard', () => {
  it('opens after volumeThreshold calls of which more than errorThresholdPercentage failed for the host', async () => {
    const { guard, changes, fail, succeed } = guardOf();
    await succeed();
    await succeed();
    await fail(hostDown);
    await fail(hostDown);
    // 2 of 4: not more than 50 %.
    expect(guard.state).toBe('closed');
    await fail(hostDown);
    expect(guard.state).toBe('open');
    expect(changes).toEqual(['open']);
  });

  it('does not open before volumeThreshold calls, however many of them failed', async () => {
    const { guard, fail } = guardOf();
    for (let call = 0; call < 3; call += 1) await fail(hostDown);
    expect(guard.state).toBe('closed');
    await fail(hostDown);
    expect(guard.state).toBe('open');
  });

  it('counts only failures that say something about the host', async () => {
    const { guard, fail } = guardOf();
    for (let call = 0; call < 20; call += 1) {
      const error = await fail(badAnswer);
      // Passed on as it was thrown.
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).code).toBe('UPSTREAM_BAD_RESPONSE');
    }
    expect(guard.state).toBe('closed');
  });

  it('while open, refuses at once without calling, for the caller’s sake, saying when to come back', async () => {
    const { fail } = guardOf({ resetTimeoutMs: 2_500 });
    for (let call = 0; call < 4; call += 1) await fail(hostDown);
    let called = false;
    const refusal = await fail(() => {
      called = true;
      return hostDown();
    });
    expect(called).toBe(false);
    expect(refusal).toBeInstanceOf(UpstreamError);
    const error = refusal as UpstreamError;
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe('The forecast is failing; not calling it for a while');
    expect(error.hostFailure).toBe(false);
    expect(error.origin).toBe('caller');
    // 2.5 s from its opening, in whole seconds.
    expect(error.retryAfterSeconds).toBe(3);
  });

  it('lets one probe through after resetTimeoutMs, and closes when it succeeds', async () => {
    const { guard, changes, fail, succeed } = guardOf({ resetTimeoutMs: 50 });
    for (let call = 0; call < 4; call += 1) await fail(hostDown);
    expect(guard.state).toBe('open');
    await expect.poll(() => guard.state, { timeout: 10_000 }).toBe('halfOpen');
    await expect(succeed()).resolves.toBe('ok');
    expect(guard.state).toBe('closed');
    expect(changes).toEqual(['open', 'halfOpen', 'closed']);
  });

  it('runs `concurrency` attempts at once at most, and refuses those still queued when it closes', async () => {
    const { guard } = guardOf({}, 2);
    const releases: (() => void)[] = [];
    let running = 0;
    const attempt = () =>
      guard.limit(
        () =>
          new Promise<void>((resolve) => {
            running += 1;
            releases.push(() => {
              running -= 1;
              resolve();
            });
          }),
      );
    const first = attempt();
    const second = attempt();
    const third = attempt();
    await expect.poll(() => running).toBe(2);
    releases[0]!();
    await first;
    await expect.poll(() => running).toBe(2);
    const fourth = attempt();
    guard.close();
    await expect(fourth).rejects.toThrow();
    releases[1]!();
    releases[2]!();
    await Promise.all([second, third]);
  });

  it('lets a call take as long as it takes: the HTTP client owns the timeouts', async () => {
    const { guard } = guardOf();
    const slow = guard.run(() => new Promise<string>((resolve) => setTimeout(() => resolve('late'), 50)), 'The forecast');
    await expect(slow).resolves.toBe('late');
  });
});
