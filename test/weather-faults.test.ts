import { afterEach, describe, expect, it } from 'vitest';
import type { FaultRule } from '../simulator/faults.js';
import { CUT_TIMEOUT_MS, outcomes, startWeatherHarness, TEST_POLICY, type WeatherHarness } from './helpers/weather.js';

let running: WeatherHarness | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/**
 * A gateway for one fault. Only a fault that the attempt timeout ends gets a short timeout:
 * any other keeps one that a busy machine meets, so that a slow answer is never cut and
 * retried, and the counts below are exact.
 */
async function harnessFor(fault: FaultRule['fault']): Promise<WeatherHarness> {
  const cutByTimeout = fault.kind === 'hang' || fault.kind === 'slow-drip';
  running = await startWeatherHarness(cutByTimeout ? { UPSTREAM_TIMEOUT_MS: String(CUT_TIMEOUT_MS) } : {});
  return running;
}

const ATTEMPTS = TEST_POLICY.retryLimit! + 1;
const CITIES = ['Paris', 'Berlin', 'Tokyo'];
const HEALTHY = ['Berlin: ok', 'Tokyo: ok'];

interface Case {
  name: string;
  fault: FaultRule['fault'];
  times?: number;
  code: string | 'ok';
  /** Calls the faulty city cost: geocoding calls for its name, or forecast calls that included it. */
  calls: number;
}

/** One fault on Paris's geocoding; Berlin and Tokyo in the same request must not notice. */
const geocodingCases: Case[] = [
  { name: '500 after retries', fault: { kind: 'status', status: 500 }, code: 'UPSTREAM_UNAVAILABLE', calls: ATTEMPTS },
  { name: '502 after retries', fault: { kind: 'status', status: 502 }, code: 'UPSTREAM_UNAVAILABLE', calls: ATTEMPTS },
  { name: '503 once, then 200', fault: { kind: 'status', status: 503 }, times: 1, code: 'ok', calls: 2 },
  { name: '429 that outlasts the retries', fault: { kind: 'status', status: 429, retryAfterS: 0 }, code: 'RATE_LIMITED', calls: ATTEMPTS },
  { name: '429 with a Retry-After over the cap (not waited for)', fault: { kind: 'status', status: 429, retryAfterS: 3600 }, code: 'RATE_LIMITED', calls: 1 },
  { name: 'a hang, cut at the timeout', fault: { kind: 'hang' }, code: 'UPSTREAM_TIMEOUT', calls: ATTEMPTS },
  { name: 'a connection reset', fault: { kind: 'reset' }, code: 'UPSTREAM_UNAVAILABLE', calls: ATTEMPTS },
  { name: 'malformed JSON (not retried)', fault: { kind: 'malformed-json' }, code: 'UPSTREAM_BAD_RESPONSE', calls: 1 },
  { name: 'wrong field types (not retried)', fault: { kind: 'wrong-types' }, code: 'UPSTREAM_BAD_RESPONSE', calls: 1 },
  { name: 'a body that drips slower than the timeout', fault: { kind: 'slow-drip', chunkIntervalMs: 200 }, code: 'UPSTREAM_TIMEOUT', calls: ATTEMPTS },
  { name: 'a body over the size cap, cut off (not retried)', fault: { kind: 'oversized', bytes: 4 * 1024 * 1024 }, code: 'UPSTREAM_BAD_RESPONSE', calls: 1 },
];

describe('a geocoding fault for one city', () => {
  it.each(geocodingCases)('$name: $code, the others unaffected', async ({ fault, times, code, calls }) => {
    const harness = await harnessFor(fault);
    harness.sim.setFaults([{ endpoint: 'geocoding', city: 'Paris', fault, ...(times ? { times } : {}) }]);
    const response = await harness.query(CITIES);
    expect(response.body.errors).toBeUndefined();
    expect(outcomes(response.body.data!.weather)).toEqual([`Paris: ${code}`, ...HEALTHY]);
    expect(harness.sim.calls().geocodingByName.paris).toBe(calls);
  });

  it('a Retry-After within the cap is waited for, then the retry succeeds', async () => {
    const harness = await harnessFor({ kind: 'status', status: 429 });
    harness.sim.setFaults([{ endpoint: 'geocoding', city: 'Paris', times: 1, fault: { kind: 'status', status: 429, retryAfterS: 1 } }]);
    const started = performance.now();
    expect(outcomes(await harness.weather(['Paris']))).toEqual(['Paris: ok']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(harness.sim.calls().geocodingByName.paris).toBe(2);
  });
});

/**
 * One fault on Paris's forecast, in the same batch as Berlin and Tokyo (asked in that order).
 * `calls` counts the forecast calls that included Paris. A call the upstream refused or
 * garbled is split in halves until Paris is alone ([P, B, T], then [P, B] and [T], then [P]
 * and [B]); a timed-out one is asked again city by city; a host that fails (5xx, a reset)
 * fails the whole call, as it would fail any call.
 */
const forecastCases: (Case & { others: 'ok' | string })[] = [
  { name: 'a 400 refusing the whole call', fault: { kind: 'status', status: 400 }, code: 'UPSTREAM_BAD_RESPONSE', calls: 3, others: 'ok' },
  { name: 'malformed JSON', fault: { kind: 'malformed-json' }, code: 'UPSTREAM_BAD_RESPONSE', calls: 3, others: 'ok' },
  { name: 'a body over the size cap, cut off', fault: { kind: 'oversized', bytes: 4 * 1024 * 1024 }, code: 'UPSTREAM_BAD_RESPONSE', calls: 3, others: 'ok' },
  // Validated per location: only Paris's entry is bad, and nobody is asked again.
  { name: 'wrong field types in its entry', fault: { kind: 'wrong-types' }, code: 'UPSTREAM_BAD_RESPONSE', calls: 1, others: 'ok' },
  // A timed-out batch is split at once rather than retried whole.
  { name: 'a hang, cut at the timeout', fault: { kind: 'hang' }, code: 'UPSTREAM_TIMEOUT', calls: 1 + ATTEMPTS, others: 'ok' },
  {
    name: 'a body that drips slower than the timeout',
    fault: { kind: 'slow-drip', chunkIntervalMs: 200 },
    code: 'UPSTREAM_TIMEOUT',
    calls: 1 + ATTEMPTS,
    others: 'ok',
  },
  { name: '503 once, then 200 (the batch retried whole)', fault: { kind: 'status', status: 503 }, times: 1, code: 'ok', calls: 2, others: 'ok' },
  { name: '500 after retries', fault: { kind: 'status', status: 500 }, code: 'UPSTREAM_UNAVAILABLE', calls: ATTEMPTS, others: 'UPSTREAM_UNAVAILABLE' },
  { name: '502 after retries', fault: { kind: 'status', status: 502 }, code: 'UPSTREAM_UNAVAILABLE', calls: ATTEMPTS, others: 'UPSTREAM_UNAVAILABLE' },
  { name: 'a connection reset', fault: { kind: 'reset' }, code: 'UPSTREAM_UNAVAILABLE', calls: ATTEMPTS, others: 'UPSTREAM_UNAVAILABLE' },
];

describe('a forecast fault for one location of a batch', () => {
  it.each(forecastCases)('$name: $code, its batch-mates $others', async ({ fault, times, code, calls, others }) => {
    const harness = await harnessFor(fault);
    harness.sim.setFaults([{ endpoint: 'forecast', city: 'Paris', fault, ...(times ? { times } : {}) }]);
    const response = await harness.query(CITIES);
    expect(response.body.errors).toBeUndefined();
    expect(outcomes(response.body.data!.weather)).toEqual([`Paris: ${code}`, `Berlin: ${others}`, `Tokyo: ${others}`]);
    const { forecastByCity, forecastBatchSizes } = harness.sim.calls();
    expect(forecastByCity.Paris).toBe(calls);
    expect(forecastBatchSizes[0]).toBe(3);
  });

  it('a 429 is about the caller, not a location: the batch is not split, every city is RATE_LIMITED', async () => {
    const harness = await harnessFor({ kind: 'status', status: 429 });
    harness.sim.setFaults([{ endpoint: 'forecast', fault: { kind: 'status', status: 429, retryAfterS: 0 } }]);
    const results = await harness.weather(CITIES);
    expect(outcomes(results)).toEqual(CITIES.map((city) => `${city}: RATE_LIMITED`));
    expect(harness.sim.calls().forecastBatchSizes).toEqual(Array.from({ length: ATTEMPTS }, () => 3));
  });

  it('messages say what happened without URLs or bodies', async () => {
    const harness = await harnessFor({ kind: 'status', status: 503 });
    harness.sim.setFaults([{ endpoint: 'forecast', city: 'Paris', fault: { kind: 'status', status: 503 } }]);
    const [paris] = await harness.weather(['Paris']);
    expect(paris!.message).toBe('The forecast service failed (HTTP 503)');
  });
});
