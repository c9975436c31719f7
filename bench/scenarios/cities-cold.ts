import { FANOUT, measureColdRequests } from './cold-fanout.js';
import { allCities, citiesBody } from './queries.js';
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
    const { values } = await measureColdRequests(server, ctx, () => coldCities(ctx.freshCity), allCities(FANOUT));
    return values;
  },
};
