import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { dialects } from './helpers/databases.js';
import { useDatabase } from './helpers/db-suite.js';
import { outcomes, startWeatherHarness, type WeatherHarness } from './helpers/weather.js';

// REQUEST_DEADLINE_MS: all upstream work of one request shares it. The attempt budget here
// would allow three attempts of 1.5 s each (4.5 s) for a hanging call; the deadline allows 1.5 s.
const DEADLINE_MS = 1500;
const ENV = { UPSTREAM_TIMEOUT_MS: String(DEADLINE_MS), REQUEST_DEADLINE_MS: String(DEADLINE_MS) };

describe.each(dialects)('the request deadline on $name', (dialect) => {
  const database = useDatabase(dialect);
  let harness: WeatherHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it.skipIf(!dialect.available)('a hanging city is UPSTREAM_TIMEOUT at the deadline, the others are answered, and its call is aborted', async () => {
    harness = await startWeatherHarness({ DATABASE_URL: database.url, ...ENV });
    harness.sim.setFaults([{ endpoint: 'geocoding', city: 'Lima', fault: { kind: 'hang' } }]);
    const started = performance.now();
    const answered = await harness.weather(['Paris', 'Lima', 'Tokyo']);
    const ms = performance.now() - started;
    expect(outcomes(answered)).toEqual(['Paris: ok', 'Lima: UPSTREAM_TIMEOUT', 'Tokyo: ok']);
    expect(answered[1]!.message).toBe("The geocoding service did not answer before the request's deadline (REQUEST_DEADLINE_MS)");
    // One attempt, no retry after the deadline, and well under what the attempts alone could take.
    expect(harness.sim.calls().geocodingByName.lima).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 1);
    expect(ms).toBeLessThan(3 * DEADLINE_MS);
    // Nobody else waited for it: the gateway hung up, and says so.
    await expect.poll(() => harness!.sim.calls().abandoned).toBe(1);
    await expect.poll(() => counterValue(harness!.gateway.metrics.upstreamRequests, { source: 'geocoding', outcome: 'cancelled' })).toBe(1);
  });

  it.skipIf(!dialect.available)('a call another request still waits for goes on for it after the first request’s deadline', async () => {
    // Time enough for the second request to join before the first one's deadline, however busy the machine.
    harness = await startWeatherHarness({ DATABASE_URL: database.url, UPSTREAM_TIMEOUT_MS: '5000', REQUEST_DEADLINE_MS: '5000' });
    harness.sim.setFaults([{ endpoint: 'geocoding', city: 'Lima', fault: { kind: 'hold' } }]);
    const first = harness.weather(['Lima']);
    await expect.poll(() => harness!.sim.held()).toBe(1);
    // Spelt differently, so that it is not the same query (which would share the first's answer instead).
    const second = harness.weather(['lima']);
    // The second request has joined the call before the first gave up on it.
    await expect.poll(() => counterValue(harness!.gateway.metrics.cacheEvents, { cache: 'geocoding', event: 'joined' }), { timeout: 4000 }).toBe(1);
    expect(outcomes(await first)).toEqual(['Lima: UPSTREAM_TIMEOUT']);
    expect(harness.sim.calls().abandoned).toBe(0);
    harness.sim.release();
    // Whether it answers the second request in time is up to its own deadline; the call itself ran to its end.
    await second;
    expect(harness.sim.calls().abandoned).toBe(0);
    // The first request's deadline did not cancel the call the second still waited for. How it
    // ended is the call's own affair (UPSTREAM_TIMEOUT_MS may not exceed the deadline, so on a
    // slow machine its own timeout can come before the release); it is counted when it ends.
    const outcome = (name: string) => counterValue(harness!.gateway.metrics.upstreamRequests, { source: 'geocoding', outcome: name });
    await expect.poll(async () => (await outcome('ok')) + (await outcome('timeout')) + (await outcome('error')), { timeout: 10_000 }).toBe(1);
    expect(await outcome('cancelled')).toBe(0);
  });
});
