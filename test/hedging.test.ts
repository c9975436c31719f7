import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { HedgeController, hedged } from '../sources/kit/hedging.js';
import { createUpstreamHttp, type Source, type UpstreamAttempt, type UpstreamHttp } from '../sources/kit/http.js';
import { defaultUpstreamPolicy, type HedgePolicy, upstreamPolicy } from '../sources/kit/upstream-policy.js';
import { TEST_POLICY } from './helpers/weather.js';

/** An attempt the test settles by hand; records when it was sent and whether it was aborted. */
function controllable<T>() {
  const attempts: { resolve: (value: T) => void; reject: (error: Error) => void; signal: AbortSignal; send: () => void }[] = [];
  const attempt = (signal: AbortSignal, sent: () => void) => new Promise<T>((resolve, reject) => attempts.push({ resolve, reject, signal, send: sent }));
  return { attempt, attempts };
}

/** Lets `ms` of fake time pass and then one more, for the I/O turn after a timer, where a hedge is decided. */
async function elapse(ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
  await vi.advanceTimersByTimeAsync(1);
}

describe('hedged()', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a second attempt when the first is still out after the delay; the first answer wins and the other is aborted', async () => {
    const { attempt, attempts } = controllable<string>();
    const result = hedged(attempt, 50, () => true);
    attempts[0]!.send();
    await elapse(48);
    expect(attempts).toHaveLength(1);
    await elapse(1);
    expect(attempts).toHaveLength(2);
    attempts[1]!.resolve('hedge');
    expect(await result).toBe('hedge');
    expect(attempts[0]!.signal.aborted).toBe(true);
    expect(attempts[1]!.signal.aborted).toBe(false);
  });

  it('sends no second attempt when the first answers in time', async () => {
    const { attempt, attempts } = controllable<string>();
    const result = hedged(attempt, 50, () => true);
    attempts[0]!.send();
    attempts[0]!.resolve('first');
    expect(await result).toBe('first');
    await elapse(1000);
    expect(attempts).toHaveLength(1);
  });

  it('counts the delay from when the first attempt was sent, not from when it was queued', async () => {
    const { attempt, attempts } = controllable<string>();
    void hedged(attempt, 50, () => true);
    await elapse(200);
    expect(attempts).toHaveLength(1);
    attempts[0]!.send();
    await elapse(50);
    expect(attempts).toHaveLength(2);
  });

  it('sends none when the budget says no', async () => {
    const { attempt, attempts } = controllable<string>();
    const result = hedged(attempt, 50, () => false);
    attempts[0]!.send();
    await elapse(1000);
    expect(attempts).toHaveLength(1);
    attempts[0]!.resolve('first');
    expect(await result).toBe('first');
  });

  it('fails at once when the first attempt fails before the delay, with no second attempt', async () => {
    const { attempt, attempts } = controllable<string>();
    const result = hedged(attempt, 50, () => true);
    attempts[0]!.send();
    attempts[0]!.reject(new Error('503'));
    await expect(result).rejects.toThrow('503');
    await elapse(1000);
    expect(attempts).toHaveLength(1);
  });

  it('lets a failure not win while the other attempt may still answer, and throws the first error when both fail', async () => {
    const { attempt, attempts } = controllable<string>();
    const result = hedged(attempt, 50, () => true);
    attempts[0]!.send();
    await elapse(50);
    attempts[0]!.reject(new Error('first failed'));
    attempts[1]!.resolve('hedge');
    expect(await result).toBe('hedge');

    const both = controllable<string>();
    const failing = hedged(both.attempt, 50, () => true);
    both.attempts[0]!.send();
    await elapse(50);
    const firstFailure = new Error('first failed');
    both.attempts[1]!.reject(new Error('hedge failed'));
    both.attempts[0]!.reject(firstFailure);
    expect(await failing.catch((error: unknown) => error)).toBe(firstFailure);
  });

  it('throws the first attempt’s error when it fails first and the hedge after it', async () => {
    const both = controllable<string>();
    const failing = hedged(both.attempt, 50, () => true);
    both.attempts[0]!.send();
    await elapse(50);
    const firstFailure = new Error('first failed');
    both.attempts[0]!.reject(firstFailure);
    both.attempts[1]!.reject(new Error('hedge failed'));
    expect(await failing.catch((error: unknown) => error)).toBe(firstFailure);
  });

  it('aborts the slower attempt saying the other one answered', async () => {
    const { attempt, attempts } = controllable<string>();
    const result = hedged(attempt, 50, () => true);
    attempts[0]!.send();
    await elapse(50);
    attempts[1]!.resolve('hedge');
    expect(await result).toBe('hedge');
    expect((attempts[0]!.signal.reason as Error).message).toBe('the other attempt of this call answered first');
  });

  it('sends no hedge at all without a delay, whatever the budget says', async () => {
    const { attempt, attempts } = controllable<string>();
    const result = hedged(attempt, null, () => true);
    attempts[0]!.send();
    await elapse(10_000);
    expect(attempts).toHaveLength(1);
    attempts[0]!.resolve('first');
    expect(await result).toBe('first');
  });

  it('counts only the first sending: a retry neither restarts the delay nor adds a hedge', async () => {
    const { attempt, attempts } = controllable<string>();
    void hedged(attempt, 50, () => true);
    attempts[0]!.send();
    await elapse(30);
    // The first attempt's retry goes out.
    attempts[0]!.send();
    await elapse(20);
    expect(attempts).toHaveLength(2);
    // And once the hedge is out, another retry of the first sends none.
    attempts[0]!.send();
    await elapse(1_000);
    expect(attempts).toHaveLength(2);
  });
});

describe('HedgeController', () => {
  const policy = (overrides: Partial<HedgePolicy>): HedgePolicy => ({ ...defaultUpstreamPolicy(1000).hedge, ...overrides });

  it('hedges nothing until it has seen enough latencies, then after their percentile', () => {
    const hedge = new HedgeController(policy({ percentile: 95, minSamples: 20, minDelayMs: 1 }));
    for (let ms = 1; ms <= 19; ms += 1) hedge.observe(ms);
    expect(hedge.delayForNewCall()).toBeNull();
    hedge.observe(20);
    expect(hedge.delayForNewCall()).toBe(19);
  });

  it('never hedges sooner than the minimum delay, and a fixed delay replaces the percentile', () => {
    expect(new HedgeController(policy({ delayMs: 3, minDelayMs: 10 })).delayForNewCall()).toBe(10);
    expect(new HedgeController(policy({ delayMs: 40 })).delayForNewCall()).toBe(40);
    expect(new HedgeController(policy({ percentile: 0 })).delayForNewCall()).toBeNull();
  });

  it('hedges nothing at a percentile of 0 or a share of 0, however many latencies it has seen or however full its burst', () => {
    const off = new HedgeController(policy({ percentile: 0, minSamples: 1, minDelayMs: 1 }));
    for (let ms = 1; ms <= 30; ms += 1) off.observe(ms);
    expect(off.delayForNewCall()).toBeNull();
    const noShare = new HedgeController(policy({ delayMs: 20, maxShare: 0, burst: 5 }));
    expect(noShare.delayForNewCall()).toBeNull();
  });

  it('keeps hedges within the share of calls: the burst, then one per 1/maxShare calls', () => {
    const hedge = new HedgeController(policy({ delayMs: 10, maxShare: 0.1, burst: 2 }));
    let hedges = 0;
    for (let call = 0; call < 100; call += 1) {
      hedge.delayForNewCall();
      if (hedge.trySpend()) hedges += 1;
    }
    expect(hedges).toBe(2 + 10 - 1); // the burst is full at start, so the first earnings are capped away
  });
});

describe('hedged upstream calls against the simulator', () => {
  let sim: Simulator;
  let http: UpstreamHttp;
  let geocoding: Source;
  let attempts: UpstreamAttempt[];
  let hedges: number;
  afterEach(async () => {
    http?.close();
    await sim?.close();
  });

  /**
   * Hedges after `delayMs`. Whether a call is hedged must not depend on how fast a busy
   * machine answers: the slow calls here hang, and the fast ones have a delay no healthy
   * answer outlasts. The attempt timeout is as long, for the same reason.
   */
  async function setUp(hedge: Partial<HedgePolicy>, timeoutMs = 10_000) {
    sim = await startSimulator();
    attempts = [];
    hedges = 0;
    http = createUpstreamHttp({ onAttempt: (attempt) => attempts.push(attempt), onHedge: () => (hedges += 1) });
    const policy = upstreamPolicy(timeoutMs, { ...TEST_POLICY, hedge });
    geocoding = http.source({ name: 'geocoding', what: 'The geocoding service', baseUrl: sim.geocodingUrl, policy });
  }
  const geocode = (name: string) => {
    const url = new URL(`${sim.geocodingUrl}/v1/search`);
    url.searchParams.set('name', name);
    return geocoding.getJson({ url, parse: (body) => body as { results?: { name: string }[] } });
  };
  const outcomes = () => attempts.map((attempt) => attempt.outcome).sort();

  it('hedges the slow call, takes the hedge’s answer, aborts the slow one and counts both attempts', async () => {
    await setUp({ delayMs: 30 });
    sim.setFaults([{ endpoint: 'geocoding', city: 'Oslo', times: 1, fault: { kind: 'hang' } }]);
    const answer = await geocode('Oslo');
    expect(answer.results?.[0]?.name).toBe('Oslo');
    expect(hedges).toBe(1);
    expect(sim.calls().geocoding).toBe(2);
    // The loser's abort settles after the winner's answer.
    await vi.waitFor(() => expect(outcomes()).toEqual(['cancelled', 'ok']));
    await vi.waitFor(() => expect(sim.calls().abandoned).toBe(1));
  });

  it('does not hedge the call that answers before the delay', async () => {
    await setUp({ delayMs: 5_000 });
    await geocode('Oslo');
    expect(hedges).toBe(0);
    expect(outcomes()).toEqual(['ok']);
    expect(sim.calls().geocoding).toBe(1);
  });

  it('does not hedge a failing call: that is what retries are for', async () => {
    // The first attempt fails long before the delay; its retry hangs past it, and is not hedged either.
    await setUp({ delayMs: 2_000 }, 4_000);
    sim.setFaults([
      { endpoint: 'geocoding', times: 1, fault: { kind: 'status', status: 503 } },
      { endpoint: 'geocoding', times: 1, fault: { kind: 'hang' } },
    ]);
    expect((await geocode('Oslo')).results?.[0]?.name).toBe('Oslo');
    expect(hedges).toBe(0);
    expect(outcomes()).toEqual(['error', 'ok', 'timeout']);
  });

  it('holds the cap: with a burst of 1 and half a hedge earned per call, 4 slow calls get 2 hedges', async () => {
    await setUp({ delayMs: 30, burst: 1, maxShare: 0.5 }, 1_000);
    const cities = ['Oslo', 'Rome', 'Lima', 'Cairo'];
    sim.setFaults(cities.map((city) => ({ endpoint: 'geocoding' as const, city, times: 1, fault: { kind: 'hang' as const } })));
    for (const city of cities) await geocode(city);
    expect(hedges).toBe(2);
    // The two unhedged calls timed out once and were answered by their retry.
    expect(outcomes()).toEqual(['cancelled', 'cancelled', 'ok', 'ok', 'ok', 'ok', 'timeout', 'timeout']);
    expect(sim.calls().geocoding).toBe(8);
  });
});
