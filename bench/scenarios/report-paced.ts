import { setTimeout as sleep } from 'node:timers/promises';
import { load } from '../harness/load.js';
import { upstreamUse } from '../harness/upstream-use.js';
import type { SimulatorCalls } from '../../simulator/simulator.js';
import { readBenchReport, startBenchReport } from './report-client.js';
import { LATENCY, type Scenario } from './types.js';

const QUOTA_PER_MINUTE = 600;
const SHARE = 0.5;
/** More than the share lets through in the measured minutes, so that the report is paced the whole time. */
const NAMES = 400;
const MINUTES = 2;
const REQUEST_RATE = 1;

/**
 * (l) The same kind of report under a quota of 600 units a minute, half of it for background
 * work: what the report spends per minute, and whether requests made meanwhile, which need
 * upstream calls of their own, are ever refused for quota.
 */
export const reportPaced: Scenario = {
  id: 'l',
  title: `Background work paced: a report of ${NAMES} new names under OPEN_METEO_QUOTA=${QUOTA_PER_MINUTE}/minute, REPORT_QUOTA_SHARE=${SHARE}`,
  method: () =>
    `A report of ${NAMES} names no cache has seen (weather only: 2 Open-Meteo units a name, ${2 * NAMES} in all, more than the ${QUOTA_PER_MINUTE * SHARE} a minute ` +
    `its share allows), then ${MINUTES} whole clock minutes measured from the next minute boundary. Meanwhile one request a second asks the weather ` +
    'of a city no cache has seen (2 units each, from the rest of the window). "units per minute" is the most Open-Meteo units the simulator ' +
    "saw in one clock minute (the requests' included: " +
    `about ${REQUEST_RATE * 60 * 2}), against the share's ${QUOTA_PER_MINUTE * SHARE}; "quota refusals" counts request answers with QUOTA_EXHAUSTED.`,
  faults: LATENCY,
  serverEnv: { OPEN_METEO_QUOTA: `${QUOTA_PER_MINUTE}/minute`, REPORT_QUOTA_SHARE: String(SHARE) },
  columns: [
    { key: 'unitsPerMinute', label: 'units per minute (most)', digits: 0 },
    { key: 'shareUnits', label: 'share units', digits: 0 },
    { key: 'requests', label: 'requests', digits: 0 },
    { key: 'refusals', label: 'quota refusals', digits: 0 },
    { key: 'done', label: 'names done', digits: 0 },
  ],
  ratioKey: 'unitsPerMinute',
  higherIsBetter: false,
  fullRunOnly: true,
  async measure(server, ctx) {
    // Start just after a minute boundary, so that the windows measured are whole ones.
    await sleep(60_000 - (Date.now() % 60_000) + 200);
    const names = Array.from({ length: NAMES }, () => ctx.freshCity());
    const { token, id } = await startBenchReport(server.url, names, ['WEATHER']);
    let refusals = 0;
    const readings: SimulatorCalls[] = [await ctx.sim.calls()];
    const sampling = (async () => {
      for (let minute = 0; minute < MINUTES; minute += 1) {
        await sleep(60_000 - (Date.now() % 60_000) + 50);
        readings.push(await ctx.sim.calls());
      }
    })();
    const requests = await load({
      url: server.url,
      body: () =>
        JSON.stringify({ query: '{ weather(cities: [$c]) { __typename ... on WeatherError { code } } }'.replace('$c', JSON.stringify(ctx.freshCity())) }),
      connections: 1,
      overallRate: REQUEST_RATE,
      duration: MINUTES * 60,
      until: sampling,
      onResponse: (_status, text) => {
        if (text.includes('QUOTA_EXHAUSTED')) refusals += 1;
      },
    });
    await sampling;
    const perMinute = readings.slice(1).map((reading, index) => upstreamUse(readings[index]!, reading).openMeteoUnits);
    const report = await readBenchReport(server.url, token, id);
    return {
      unitsPerMinute: Math.max(...perMinute),
      shareUnits: QUOTA_PER_MINUTE * SHARE,
      requests: requests.requests,
      refusals,
      done: report.done,
    };
  },
};
