import { load } from '../harness/load.js';
import { upstreamUse } from '../harness/upstream-use.js';
import { FANOUT } from './cold-fanout.js';
import { allCities, citiesBody, expectAnswer } from './queries.js';
import { LATENCY, type Scenario, UPSTREAM_MS } from './types.js';

/** A request body for FANOUT cities no server has seen, all in the synthetic country XS. */
function coldCities(freshCity: () => string): string {
  return citiesBody(Array.from({ length: FANOUT }, freshCity));
}

/** (g) Twenty new cities with every part: one name, four APIs. */
export const citiesCold: Scenario = {
  id: 'g',
  title: `Cities, all parts, ${FANOUT} cold`,
  method: (durations) =>
    `\`cities\` for ${FANOUT} names no cache has seen (\`Sim <n>\`, all in the synthetic country XS), selecting location, weather, air quality ` +
    `and country; upstream ${UPSTREAM_MS} ms per call. autocannon, 1 connection, ${durations.coldRequests} requests one after another, after 3 unmeasured ones. ` +
    'Each server fetches the four APIs as its documentation recommends (see Servers). Two round trips are the floor (geocoding, then the parts ' +
    'side by side): "× 2 RT" is p50 over twice the median upstream call. Calls and Open-Meteo units are counted by the simulator; a country ' +
    'that a server keeps across requests costs it no call after the first request.',
  faults: LATENCY,
  columns: [
    { key: 'p50', label: 'p50 ms', digits: 1 },
    { key: 'p99', label: 'p99 ms', digits: 1 },
    { key: 'x2rt', label: '× 2 RT (p50)', digits: 2 },
    { key: 'upstream', label: 'upstream calls / request', digits: 1 },
    { key: 'units', label: 'Open-Meteo units / request', digits: 1 },
  ],
  ratioKey: 'p50',
  higherIsBetter: false,
  async measure(server, ctx) {
    await expectAnswer(server.url, coldCities(ctx.freshCity), allCities(FANOUT));
    await load({ url: server.url, body: () => coldCities(ctx.freshCity), connections: 1, amount: 2 });
    const before = await ctx.sim.calls();
    const result = await load({ url: server.url, body: () => coldCities(ctx.freshCity), connections: 1, amount: ctx.durations.coldRequests });
    const use = upstreamUse(before, await ctx.sim.calls());
    return {
      p50: result.p50Ms,
      p99: result.p99Ms,
      x2rt: result.p50Ms / (2 * ctx.upstreamMedianMs),
      upstream: use.calls / result.requests,
      units: use.openMeteoUnits / result.requests,
      failures: result.failures,
    };
  },
};
