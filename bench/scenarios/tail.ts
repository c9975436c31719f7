import { counterTotal } from '../harness/gateway-metrics.js';
import { load } from '../harness/load.js';
import { coldBody, FANOUT } from './cold-fanout.js';
import { allWeather, expectAnswer } from './queries.js';
import { type Scenario, UPSTREAM_MS } from './types.js';

const SLOW_MS = 500;
const SLOW_SHARE = 0.01;
const CONNECTIONS = 10;

/** (d) "The Tail at Scale": 1% of upstream calls are ten times slower; every request fans out to 20. */
export const tailLatency: Scenario = {
  id: 'd',
  title: `Tail latency: fan-out of ${FANOUT}, ${SLOW_SHARE * 100}% of upstream calls at ${SLOW_MS} ms`,
  method: (durations) =>
    `\`weather\` for ${FANOUT} new cities per request; every upstream call takes ${UPSTREAM_MS} ms, and a seeded ${SLOW_SHARE * 100}% of them ${SLOW_MS} ms. ` +
    `autocannon, ${CONNECTIONS} connections, ${durations.tailRequests} requests after a warm-up of ${durations.tailWarmUp} at the same concurrency ` +
    '(a server learns what "slow" is from the latencies it has seen). ' +
    '"× upstream p50" is the fan-out p99 over the median upstream call. Upstream calls are counted by the simulator; ' +
    '"extra calls" are hedged attempts (from the gateway\'s own counter) over the calls without them.',
  faults: [
    { fault: { kind: 'latency', ms: UPSTREAM_MS } },
    { probability: SLOW_SHARE, fault: { kind: 'latency', ms: SLOW_MS - UPSTREAM_MS } },
  ],
  columns: [
    { key: 'p50', label: 'p50 ms', digits: 1 },
    { key: 'p99', label: 'p99 ms', digits: 1 },
    { key: 'xUpstream', label: 'p99 × upstream p50', digits: 2 },
    { key: 'upstream', label: 'upstream calls / request', digits: 2 },
    { key: 'extraPct', label: 'extra calls %', digits: 2 },
  ],
  ratioKey: 'p99',
  higherIsBetter: false,
  async measure(server, ctx) {
    await expectAnswer(server.url, coldBody(ctx.freshCity), allWeather(FANOUT));
    await load({ url: server.url, body: () => coldBody(ctx.freshCity), connections: CONNECTIONS, amount: ctx.durations.tailWarmUp });
    const callsBefore = await ctx.sim.calls();
    const hedgesBefore = await counterTotal(server, 'gatherql_upstream_hedges_total');
    const result = await load({ url: server.url, body: () => coldBody(ctx.freshCity), connections: CONNECTIONS, amount: ctx.durations.tailRequests });
    const callsAfter = await ctx.sim.calls();
    const hedgesAfter = await counterTotal(server, 'gatherql_upstream_hedges_total');
    const calls = callsAfter.geocoding + callsAfter.forecast - callsBefore.geocoding - callsBefore.forecast;
    const hedges = hedgesAfter === null || hedgesBefore === null ? 0 : hedgesAfter - hedgesBefore;
    return {
      p50: result.p50Ms,
      p99: result.p99Ms,
      xUpstream: result.p99Ms / ctx.upstreamMedianMs,
      upstream: calls / result.requests,
      extraPct: (100 * hedges) / Math.max(1, calls - hedges),
      failures: result.failures,
    };
  },
};
