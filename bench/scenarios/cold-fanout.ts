import type { ServerProcess } from '../harness/processes.js';
import { load } from '../harness/load.js';
import { upstreamUse } from '../harness/upstream-use.js';
import { allWeather, expectAnswer, weatherBody } from './queries.js';
import { LATENCY, type Scenario, type ScenarioContext, UPSTREAM_MS } from './types.js';

export const FANOUT = 20;

/** A request body for FANOUT cities no server has seen. */
export function coldBody(freshCity: () => string): string {
  return weatherBody(Array.from({ length: FANOUT }, freshCity));
}

/**
 * Cold requests one after another, each naming cities no server has seen (`body` makes a new
 * one each time), after a checked answer and 2 unmeasured ones: latency, upstream calls and
 * Open-Meteo units per request. Shared by the cold fan-out (c) and the cold cities (g).
 */
export async function measureColdRequests(server: ServerProcess, ctx: ScenarioContext, body: () => string, check: (data: any) => string | null) {
  await expectAnswer(server.url, body(), check);
  await load({ url: server.url, body, connections: 1, amount: 2 });
  const before = await ctx.sim.calls();
  const result = await load({ url: server.url, body, connections: 1, amount: ctx.durations.coldRequests });
  const use = upstreamUse(before, await ctx.sim.calls());
  return {
    result,
    values: {
      p50: result.p50Ms,
      p99: result.p99Ms,
      x2rt: result.p50Ms / (2 * ctx.upstreamMedianMs),
      upstream: use.calls / result.requests,
      units: use.openMeteoUnits / result.requests,
      failures: result.failures,
    },
  };
}

/** (c) Twenty cities nobody asked for before, one request at a time: pure latency. */
export const coldFanout: Scenario = {
  id: 'c',
  title: `Cold fan-out, ${FANOUT} cities`,
  method: (durations) =>
    `\`weather\` for ${FANOUT} cities no cache has seen (\`Sim <n>\`, new names in every request); upstream ${UPSTREAM_MS} ms per call. ` +
    `autocannon, 1 connection, ${durations.coldRequests} requests one after another, after 3 unmeasured ones. ` +
    'Two upstream round trips (geocoding, then forecast) are the floor: "× 2 RT" is p50 over twice the median upstream call the harness measured.',
  faults: LATENCY,
  columns: [
    { key: 'p50', label: 'p50 ms', digits: 1 },
    { key: 'p99', label: 'p99 ms', digits: 1 },
    { key: 'mean', label: 'mean ms', digits: 1 },
    { key: 'x2rt', label: '× 2 RT (p50)', digits: 2 },
    { key: 'upstream', label: 'upstream calls / request', digits: 1 },
    { key: 'units', label: 'Open-Meteo units / request', digits: 1 },
  ],
  ratioKey: 'p50',
  higherIsBetter: false,
  async measure(server, ctx) {
    const { result, values } = await measureColdRequests(server, ctx, () => coldBody(ctx.freshCity), allWeather(FANOUT));
    return { ...values, mean: result.meanMs };
  },
};
