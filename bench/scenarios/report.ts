import { pacedLoad } from '../harness/paced-load.js';
import { upstreamUse } from '../harness/upstream-use.js';
import { BACKGROUND_IN_FLIGHT } from '../../sources/kit/background-lane.js';
import { REPORT_P99_FACTOR } from '../harness/goals.js';
import { startBenchReport, untilFinished } from './report-client.js';
import { expectAnswer, WARM_CITIES, weatherBody } from './queries.js';
import { LATENCY, type Scenario, UPSTREAM_MS } from './types.js';

const NAMES = 1000;
const RATE = 100;
const CONNECTIONS = 5;
const ALONGSIDE = weatherBody(WARM_CITIES);

/**
 * (k) A report of 1,000 new names, all parts, against upstreams that answer in 50 ms, with the
 * quota off: how long it takes against its floor, what it costs upstream per name, and what it
 * does to the requests served meanwhile.
 */
export const report: Scenario = {
  id: 'k',
  title: `Background work: a city report of ${NAMES} new names, and the requests served alongside`,
  method: (durations) =>
    `A signed-in user starts a report of ${NAMES} names no cache has seen, every part (weather, air quality, country), upstream ${UPSTREAM_MS} ms ` +
    `per call, \`OPEN_METEO_QUOTA=off\`. The report's calls go out through the background lane, ${BACKGROUND_IN_FLIGHT} at a time, so its floor ` +
    `is its upstream calls / ${BACKGROUND_IN_FLIGHT} x the measured median upstream call. "time" runs from the start mutation to the ` +
    `first reading of SUCCEEDED (polled every 50 ms). Alongside: \`weather\` for ${WARM_CITIES.length} warm cities, one request every ` +
    `${1000 / RATE} ms (${RATE} req/s evenly spaced, over ${CONNECTIONS} connections at most, each timed from when it was due: ` +
    '`bench/harness/paced-load.ts`), ' +
    `measured ${durations.measureS} s alone first, then for as long as the report runs; "p99 ratio" is the ` +
    `second p99 over the first (goal: at most ${REPORT_P99_FACTOR}).`,
  faults: LATENCY,
  serverEnv: { OPEN_METEO_QUOTA: 'off' },
  columns: [
    { key: 'timeS', label: 'time s', digits: 2 },
    { key: 'floorS', label: 'floor s', digits: 2 },
    { key: 'toFloor', label: 'x floor', digits: 2 },
    { key: 'callsPerName', label: 'upstream calls per name', digits: 3 },
    { key: 'p99AloneMs', label: 'p99 alone ms', digits: 1 },
    { key: 'p99AlongsideMs', label: 'p99 alongside ms', digits: 1 },
    { key: 'p99Ratio', label: 'p99 ratio', digits: 2 },
  ],
  ratioKey: 'timeS',
  higherIsBetter: false,
  async measure(server, ctx) {
    await expectAnswer(server.url, ALONGSIDE, (data) => (data?.weather?.length === WARM_CITIES.length ? null : 'expected the warm cities'));
    const alone = await pacedLoad({ url: server.url, body: ALONGSIDE, connections: CONNECTIONS, rate: RATE, durationS: ctx.durations.measureS });
    const names = Array.from({ length: NAMES }, () => ctx.freshCity());
    const before = await ctx.sim.calls();
    const started = performance.now();
    const { token, id } = await startBenchReport(server.url, names, ['WEATHER', 'AIR_QUALITY', 'COUNTRY']);
    // The load alongside runs for as long as the report does.
    const finished = untilFinished(server.url, token, id, 600_000).then((report) => ({ report, timeS: (performance.now() - started) / 1000 }));
    const alongside = await pacedLoad({ url: server.url, body: ALONGSIDE, connections: CONNECTIONS, rate: RATE, durationS: 600, until: finished });
    const { report: result, timeS } = await finished;
    if (alone.failures + alongside.failures > 0) throw new Error(`${alone.failures + alongside.failures} requests failed`);
    if (result.state !== 'SUCCEEDED') throw new Error(`the report ended ${result.state} after ${timeS.toFixed(1)} s`);
    const used = upstreamUse(before, await ctx.sim.calls());
    const floorS = ((used.calls / BACKGROUND_IN_FLIGHT) * ctx.upstreamMedianMs) / 1000;
    const p99AlongsideMs = alongside.p99Ms;
    return {
      timeS,
      floorS,
      toFloor: timeS / floorS,
      callsPerName: used.calls / NAMES,
      p99AloneMs: alone.p99Ms,
      p99AlongsideMs,
      p99Ratio: p99AlongsideMs / alone.p99Ms,
    };
  },
};
