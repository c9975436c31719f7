import { describe, expect, it } from 'vitest';
import { createHostGuard } from '../sources/kit/host-guard.js';
import { UpstreamError } from '../sources/kit/upstream-error.js';
import { backoffDelay, defaultUpstreamPolicy, upstreamPolicy } from '../sources/kit/upstream-policy.js';

describe('upstream policies', () => {
  it('give a call the budget of two whole attempts and a second between them', () => {
    expect(defaultUpstreamPolicy(4_000).budgetMs).toBe(9_000);
    expect(defaultUpstreamPolicy(4_000).timeoutMs).toBe(4_000);
    // A timeout given among the overrides is the one the budget is made from.
    const policy = upstreamPolicy(4_000, { timeoutMs: 1_500 });
    expect(policy.timeoutMs).toBe(1_500);
    expect(policy.budgetMs).toBe(4_000);
    expect(upstreamPolicy(4_000, { budgetMs: 100 }).budgetMs).toBe(100);
  });

  it('replace the breaker’s and the hedge’s settings field by field, and the others whole', () => {
    const defaults = defaultUpstreamPolicy(2_000);
    const policy = upstreamPolicy(2_000, { retryLimit: 0, breaker: { volumeThreshold: 3 }, hedge: { maxShare: 0.5 } });
    expect(policy.retryLimit).toBe(0);
    expect(policy.breaker).toEqual({ ...defaults.breaker, volumeThreshold: 3 });
    expect(policy.hedge).toEqual({ ...defaults.hedge, maxShare: 0.5 });
    expect(policy.concurrencyPerHost).toBe(defaults.concurrencyPerHost);
    // Without overrides, the defaults themselves.
    expect(upstreamPolicy(2_000)).toEqual(defaults);
  });

  it('back off exponentially with full jitter: a random delay up to base x 2^(retry-1), capped, never 0', () => {
    const policy = { backoffBaseMs: 100, backoffMaxMs: 1_000 };
    const highest = (retry: number) => backoffDelay(policy, retry, () => 1);
    expect([1, 2, 3, 4, 5].map(highest)).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(200);
    expect(backoffDelay(policy, 1, () => 0.004)).toBe(1);
    expect(backoffDelay(policy, 1, () => 0.006)).toBe(1);
    expect(backoffDelay(policy, 1, () => 0.016)).toBe(2);
    // got reads a delay of 0 as "do not retry".
    expect(backoffDelay(policy, 1, () => 0)).toBe(1);
    const delays = Array.from({ length: 200 }, () => backoffDelay(policy, 2));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(200);
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it('by default let the largest answer through, open a circuit only after several calls, and hedge a small share of calls late', async () => {
    const policy = defaultUpstreamPolicy(2_000);
    // Open-Meteo's largest answer here (a forecast batch of 20) is about 12 kB.
    expect(policy.maxResponseBytes).toBeGreaterThanOrEqual(12 * 1024);
    const guard = createHostGuard({ source: 'forecast', host: 'api.open-meteo.com', concurrency: 1, breaker: policy.breaker });
    try {
      for (let call = 0; call < 3; call += 1) {
        await guard.run(() => Promise.reject(new UpstreamError('UPSTREAM_UNAVAILABLE', 'HTTP 503')), 'The forecast').catch(() => {});
      }
      expect(guard.state).toBe('closed');
    } finally {
      guard.close();
    }
    expect(policy.hedge.percentile).toBeGreaterThanOrEqual(90);
    expect(policy.hedge.percentile).toBeLessThan(100);
    expect(policy.hedge.maxShare).toBeGreaterThan(0);
    expect(policy.hedge.maxShare).toBeLessThanOrEqual(0.1);
  });
});
