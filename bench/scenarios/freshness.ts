import { counterTotal } from '../harness/gateway-metrics.js';
import { load } from '../harness/load.js';
import { upstreamUse } from '../harness/upstream-use.js';
import { expectAnswer, WARM_CITIES } from './queries.js';
import { LATENCY, type Scenario, UPSTREAM_MS } from './types.js';

/** Short enough that a round outlives it several times; long enough that its last fifth (refresh-ahead's window) spans a read. */
const TTL_S = 5;
const RATE = 50;
const CONNECTIONS = 5;

/** One hot city, with where its weather came from: `LIVE` means this request waited for the forecast. */
const HOT_CITY_QUERY = /* GraphQL */ `
  query HotCity($cities: [String!]!) {
    weather(cities: $cities) {
      __typename
      ... on CityWeather { city temperatureC freshness { state } }
      ... on WeatherError { city code message }
    }
  }
`;

const bodies = WARM_CITIES.map((city) => JSON.stringify({ query: HOT_CITY_QUERY, variables: { cities: [city] }, operationName: 'HotCity' }));

type Answer = { weather?: { __typename: string; freshness?: { state: string } }[] };

/** The freshness state of a HotCity answer, or why it is not one. */
function stateOf(data: Answer | undefined): string {
  const item = data?.weather?.[0];
  return item?.__typename === 'CityWeather' ? (item.freshness?.state ?? 'none') : `not CityWeather: ${JSON.stringify(item)}`;
}

/** (i) A few hot cities read all the time, for longer than their TTL: does anyone wait when it runs out? */
export const freshness: Scenario = {
  id: 'i',
  title: `Freshness: ${WARM_CITIES.length} hot cities read past their TTL (${TTL_S} s), refresh-ahead on and off`,
  method: (durations) =>
    `\`weather\` for one of ${WARM_CITIES.join(', ')} per request, in turn, at a fixed ${RATE} req/s over ${CONNECTIONS} connections ` +
    `for ${durations.freshnessS} s after ${durations.warmS} s of the same (every city expires about ${Math.floor((durations.warmS + durations.freshnessS) / TTL_S)} times); ` +
    `upstream ${UPSTREAM_MS} ms per call. Every server runs with \`WEATHER_CACHE_TTL_S=${TTL_S}\` and \`STALE_WHILE_REVALIDATE_S=0\`, so that an ` +
    'expired value makes its reader wait unless it was refreshed ahead. "waited" counts answers whose weather is `LIVE`, i.e. fetched ' +
    'for that request or by a call in flight it joined; "refreshes" are background calls from the gateway\'s own counter. ' +
    'Open-Meteo units are those of the measured round.',
  faults: LATENCY,
  serverEnv: { WEATHER_CACHE_TTL_S: String(TTL_S), STALE_WHILE_REVALIDATE_S: '0' },
  columns: [
    { key: 'p50', label: 'p50 ms', digits: 1 },
    { key: 'p99', label: 'p99 ms', digits: 1 },
    { key: 'max', label: 'max ms', digits: 1 },
    { key: 'waited', label: 'requests that waited', digits: 0 },
    { key: 'waitedPct', label: 'waited %', digits: 2 },
    { key: 'refreshes', label: 'refreshes', digits: 0 },
    { key: 'forecast', label: 'forecast calls', digits: 0 },
    { key: 'units', label: 'Open-Meteo units', digits: 0 },
  ],
  ratioKey: 'p99',
  higherIsBetter: false,
  async measure(server, ctx) {
    for (const body of bodies)
      await expectAnswer(server.url, body, (data: Answer) => (stateOf(data) === 'LIVE' ? null : `expected a LIVE first answer, got ${stateOf(data)}`));
    const next = (index: number) => bodies[index % bodies.length]!;
    await load({ url: server.url, body: next, connections: CONNECTIONS, overallRate: RATE, duration: ctx.durations.warmS });
    const states = new Map<string, number>();
    const count = (_status: number, text: string) => {
      let state: string;
      try {
        state = stateOf((JSON.parse(text) as { data?: Answer }).data);
      } catch {
        state = 'not JSON';
      }
      states.set(state, (states.get(state) ?? 0) + 1);
    };
    const refresh = { cache: 'weather', event: 'refresh' };
    const refreshesBefore = await counterTotal(server, 'gatherql_cache_events_total', refresh);
    const before = await ctx.sim.calls();
    const result = await load({
      url: server.url,
      body: next,
      connections: CONNECTIONS,
      overallRate: RATE,
      duration: ctx.durations.freshnessS,
      onResponse: count,
    });
    const use = upstreamUse(before, await ctx.sim.calls());
    const refreshesAfter = await counterTotal(server, 'gatherql_cache_events_total', refresh);
    const odd = [...states.keys()].filter((state) => !['LIVE', 'CACHED', 'STALE'].includes(state));
    if (odd.length > 0) throw new Error(`answers without a weather freshness: ${odd.join('; ').slice(0, 200)}`);
    const waited = states.get('LIVE') ?? 0;
    return {
      p50: result.p50Ms,
      p99: result.p99Ms,
      max: result.maxMs,
      waited,
      waitedPct: (100 * waited) / Math.max(1, result.requests),
      refreshes: refreshesAfter === null || refreshesBefore === null ? null : refreshesAfter - refreshesBefore,
      forecast: use.forecast,
      units: use.openMeteoUnits,
      failures: result.failures,
    };
  },
};
