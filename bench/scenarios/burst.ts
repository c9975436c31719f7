import { load } from '../harness/load.js';
import { upstreamUse } from '../harness/upstream-use.js';
import { allWeather, expectAnswer, weatherBody } from './queries.js';
import { LATENCY, type Scenario, UPSTREAM_MS } from './types.js';

const BURST = 500;
const ALONE = 5;

/** (e) 500 clients ask for the same city nobody has asked for, at the same moment. */
export const burst: Scenario = {
  id: 'e',
  title: `Burst: ${BURST} concurrent identical cold requests`,
  method: (durations) =>
    `\`weather\` for one new city, the same in all ${BURST} requests, sent at once (autocannon, ${BURST} connections, ${BURST} requests); upstream ${UPSTREAM_MS} ms per call. ` +
    `"alone" is the median of ${ALONE} such cold requests sent one at a time just before (each with its own new city); ` +
    '"p99 × alone" compares the burst with it. Upstream calls are counted by the simulator over the burst only. ' +
    `Warm-up: 2 cold requests and ${durations.burstWarmUps} burst(s) of ${BURST} on other cities.`,
  faults: LATENCY,
  columns: [
    { key: 'p50', label: 'p50 ms', digits: 1 },
    { key: 'p99', label: 'p99 ms', digits: 1 },
    { key: 'alone', label: 'alone ms', digits: 1 },
    { key: 'xAlone', label: 'p99 × alone', digits: 2 },
    { key: 'geocoding', label: 'geocoding calls', digits: 0 },
    { key: 'forecast', label: 'forecast calls', digits: 0 },
    { key: 'units', label: 'Open-Meteo units', digits: 0 },
  ],
  ratioKey: 'p99',
  higherIsBetter: false,
  async measure(server, ctx) {
    const one = () => weatherBody([ctx.freshCity()]);
    await expectAnswer(server.url, one(), allWeather(1));
    await load({ url: server.url, body: one, connections: 1, amount: 2 });
    for (let round = 0; round < ctx.durations.burstWarmUps; round += 1) await load({ url: server.url, body: one(), connections: BURST, amount: BURST });
    const alone = await load({ url: server.url, body: one, connections: 1, amount: ALONE });
    const before = await ctx.sim.calls();
    const result = await load({ url: server.url, body: one(), connections: BURST, amount: BURST });
    const use = upstreamUse(before, await ctx.sim.calls());
    return {
      p50: result.p50Ms,
      p99: result.p99Ms,
      alone: alone.p50Ms,
      xAlone: result.p99Ms / alone.p50Ms,
      geocoding: use.geocoding,
      forecast: use.forecast,
      units: use.openMeteoUnits,
      failures: result.failures,
    };
  },
};
