import { counterTotal } from '../harness/gateway-metrics.js';
import { load } from '../harness/load.js';
import { sampleUpstream, summarise } from '../harness/upstream-latency.js';
import { upstreamUse } from '../harness/upstream-use.js';
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
    'While the measured requests run, the harness times its own sequential upstream calls under the same faults ("upstream p50/p97"). ' +
    'The floor is what a request with one slow call costs at least when the slow call is hedged: two round trips (geocoding, then forecast) plus the ' +
    'delay before the hedge goes out. gatherql hedges after the p97 of its recent latencies, which the harness cannot read; it takes the p97 of its own ' +
    'samples instead: floor = 2 × upstream p50 + upstream p97 (only for a server that hedges; the others wait out every slow call). ' +
    '"p99 × upstream p50" is the former goal\'s measure, over the median measured before the run. ' +
    'Upstream calls are counted by the simulator; "extra calls" are hedged attempts (from the gateway\'s own counter) over the calls without them.',
  faults: [{ fault: { kind: 'latency', ms: UPSTREAM_MS } }, { probability: SLOW_SHARE, fault: { kind: 'latency', ms: SLOW_MS - UPSTREAM_MS } }],
  columns: [
    { key: 'p50', label: 'p50 ms', digits: 1 },
    { key: 'p99', label: 'p99 ms', digits: 1 },
    { key: 'upstreamP50', label: 'upstream p50 ms', digits: 1 },
    { key: 'hedgeDelay', label: 'hedge delay ms (upstream p97)', digits: 1 },
    { key: 'floor', label: 'floor ms', digits: 1 },
    { key: 'xFloor', label: 'p99 ÷ floor', digits: 2 },
    { key: 'xUpstream', label: 'p99 × upstream p50', digits: 2 },
    { key: 'upstream', label: 'upstream calls / request', digits: 2 },
    { key: 'units', label: 'Open-Meteo units / request', digits: 2 },
    { key: 'extraPct', label: 'extra calls %', digits: 2 },
  ],
  ratioKey: 'p99',
  higherIsBetter: false,
  async measure(server, ctx) {
    await expectAnswer(server.url, coldBody(ctx.freshCity), allWeather(FANOUT));
    await load({ url: server.url, body: () => coldBody(ctx.freshCity), connections: CONNECTIONS, amount: ctx.durations.tailWarmUp });
    const callsBefore = await ctx.sim.calls();
    const hedgesBefore = await counterTotal(server, 'gatherql_upstream_hedges_total');
    const stop = new AbortController();
    const sampling = sampleUpstream(ctx.sim, ctx.freshCity, { stop: stop.signal });
    const result = await load({ url: server.url, body: () => coldBody(ctx.freshCity), connections: CONNECTIONS, amount: ctx.durations.tailRequests });
    stop.abort();
    const upstreamLatency = summarise(await sampling);
    const callsAfter = await ctx.sim.calls();
    const hedgesAfter = await counterTotal(server, 'gatherql_upstream_hedges_total');
    // The harness's own samples went to the simulator too: they are not the server's calls.
    const use = upstreamUse(callsBefore, callsAfter);
    const calls = use.calls - upstreamLatency.samples - 3;
    const hedges = hedgesAfter === null || hedgesBefore === null ? 0 : hedgesAfter - hedgesBefore;
    // Only a server that hedges has this floor; the others wait out every slow call.
    const hedging = hedgesAfter !== null;
    const floor = hedging ? 2 * upstreamLatency.medianMs + upstreamLatency.p97Ms : null;
    return {
      p50: result.p50Ms,
      p99: result.p99Ms,
      upstreamP50: upstreamLatency.medianMs,
      hedgeDelay: hedging ? upstreamLatency.p97Ms : null,
      floor,
      xFloor: floor === null ? null : result.p99Ms / floor,
      xUpstream: result.p99Ms / ctx.upstreamMedianMs,
      upstream: calls / result.requests,
      units: (use.openMeteoUnits - upstreamLatency.samples - 3) / result.requests,
      extraPct: (100 * hedges) / Math.max(1, calls - hedges),
      failures: result.failures,
    };
  },
};
