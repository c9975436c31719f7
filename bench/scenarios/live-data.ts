import { readFileSync } from 'node:fs';
import { counterTotal } from '../harness/gateway-metrics.js';
import type { ServerProcess } from '../harness/processes.js';
import { openSseWatcher, openSseWatchers, type SseWatcher } from '../harness/sse-watchers.js';
import { upstreamUse } from '../harness/upstream-use.js';
import { LATENCY, type Scenario, UPSTREAM_MS } from './types.js';
import { quantile } from '../harness/quantile.js';

const IDLE = 10_000;
const WATCHERS = 1_000;
const CITIES = ['Berlin', 'Paris', 'London', 'Madrid', 'Rome', 'Amsterdam', 'Vienna', 'Oslo', 'Lisbon', 'Dublin'];
/** Long enough that a kept place is refreshed once per TTL, near enough (a second before it ends). */
const TTL_S = 10;
/** Opening so many connections at once is itself a burst: this many at a time. */
const OPENING = 200;

const IDLE_BODY = JSON.stringify({ query: 'subscription { postPublished { title } }' });
const WEATHER_BODY = (city: string) =>
  JSON.stringify({
    query: 'subscription ($cities: [String!]!) { weatherUpdates(cities: $cities) { ... on CityWeather { city temperatureC freshness { fetchedAt } } } }',
    variables: { cities: [city] },
  });

/** Resident memory of the server's processes now, in bytes (the harness reports peaks; this needs the level). */
function rssBytes(server: ServerProcess): number {
  let total = 0;
  for (const pid of server.pids()) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    total += Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
  }
  return total;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * (m) Live data: what an idle subscriber costs the gateway's memory, how fast a changed value
 * reaches a thousand subscribers, and what keeping their places fresh costs upstream.
 */
export const liveData: Scenario = {
  id: 'm',
  title: `Live data: ${IDLE.toLocaleString('en')} idle SSE subscribers; ${WATCHERS.toLocaleString('en')} watchers of ${CITIES.length} changing cities`,
  method: (durations) =>
    [
      `${IDLE.toLocaleString('en')} SSE subscriptions to \`postPublished\`, each on a connection of its own (node:http in the harness, ${OPENING} opened at a time), left idle: `,
      'the growth of the resident memory of the gateway from before the first to after the last is "memory per idle subscriber". Then they are closed, and ',
      `${WATCHERS.toLocaleString('en')} SSE subscriptions to \`weatherUpdates\`, ${WATCHERS / CITIES.length} for each of ${CITIES.length} cities, with \`WEATHER_CACHE_TTL_S=${TTL_S}\`; `,
      `the simulator's weather of every city is changed ${durations.measureS > 2 ? 4 : 2} times (\`POST /__sim/weather\`), each time once every watcher has the last value. `,
      '"fetch → event" is the time from the moment the gateway got the changed value from the upstream (the event\'s `freshness.fetchedAt`) to its arrival at each watcher, ',
      'over every watcher and change; "fetch → last watcher" the mean over the changes of the time to the last of the watchers. "change → last watcher" starts at the simulator\'s change ',
      `instead, so it includes the wait for the next refresh (at most a TTL). Upstream: ${UPSTREAM_MS} ms per call. Then, the watchers still open, `,
      `"forecast locations per TTL" counts the locations the gateway asked the forecast API for over ${durations.measureS > 2 ? 3 : 2} whole TTLs, per TTL: `,
      'the goal is the number of distinct cities, whatever the number of watchers (a place is refreshed a second before it expires, so a little more).',
    ].join(''),
  faults: LATENCY,
  serverEnv: {
    WEATHER_CACHE_TTL_S: String(TTL_S),
    // Every subscriber comes from one address, and each holds a connection.
    SUBSCRIPTIONS_PER_CLIENT: String(IDLE + WATCHERS),
    MAX_CONNECTIONS: String(2 * IDLE),
  },
  columns: [
    { key: 'idleKiB', label: 'memory per idle subscriber KiB', digits: 1 },
    { key: 'openS', label: `s to open ${IDLE.toLocaleString('en')}`, digits: 1 },
    { key: 'fanoutP50', label: 'fetch → event p50 ms', digits: 1 },
    { key: 'fanoutP99', label: 'fetch → event p99 ms', digits: 1 },
    { key: 'lastWatcher', label: 'fetch → last watcher ms', digits: 1 },
    { key: 'changeToLast', label: 'change → last watcher ms', digits: 0 },
    { key: 'cities', label: 'cities', digits: 0 },
    { key: 'locationsPerTtl', label: 'forecast locations per TTL', digits: 1 },
    { key: 'forecastPerTtl', label: 'forecast calls per TTL', digits: 1 },
  ],
  ratioKey: 'fanoutP99',
  higherIsBetter: false,
  async measure(server, ctx) {
    const open = (field: string) => counterTotal(server, 'gatherql_subscriptions_open', { field });

    const before = rssBytes(server);
    const opening = performance.now();
    const idle = await openSseWatchers(IDLE, OPENING, () => openSseWatcher(server.url, IDLE_BODY, false));
    const openS = (performance.now() - opening) / 1000;
    await until(async () => (await open('postPublished')) === IDLE, 60_000, 'every idle subscription to be open');
    const idleKiB = (rssBytes(server) - before) / IDLE / 1024;
    for (const watcher of idle) watcher.close();
    await until(async () => (await open('postPublished')) === 0, 60_000, 'the idle subscriptions to close');

    let round = 0;
    const pin = (temperature: number) =>
      Promise.all(CITIES.map((city) => ctx.sim.setWeather(city, { temperature_2m: temperature, time: `2026-07-01T12:${String(round).padStart(2, '0')}` })));
    await pin(20);
    const watchers: SseWatcher[] = await openSseWatchers(WATCHERS, OPENING, (index) =>
      openSseWatcher(server.url, WEATHER_BODY(CITIES[index % CITIES.length]!)),
    );
    await until(() => watchers.every((watcher) => watcher.events.length === 1), 60_000, 'every watcher to have its first value');
    const changes = ctx.durations.measureS > 2 ? 4 : 2;
    const fanout: number[] = [];
    const toLast: number[] = [];
    const changeToLast: number[] = [];
    for (round = 1; round <= changes; round += 1) {
      const changedAt = Date.now();
      await pin(20 + round);
      await until(() => watchers.every((watcher) => watcher.events.length === round + 1), 3 * TTL_S * 1000, `every watcher to have change ${round}`);
      let fetchedLast = 0;
      let last = 0;
      for (const watcher of watchers) {
        const event = watcher.events[round]!;
        const fetchedAt = Date.parse((event.payload.data as { weatherUpdates: { freshness: { fetchedAt: string } } }).weatherUpdates.freshness.fetchedAt);
        fanout.push(event.at - fetchedAt);
        fetchedLast = Math.max(fetchedLast, event.at - fetchedAt);
        last = Math.max(last, event.at);
      }
      toLast.push(fetchedLast);
      changeToLast.push(last - changedAt);
    }
    // What keeping the places fresh costs, over whole TTLs: a window that ended on a change would end on a refresh.
    const ttls = changes === 4 ? 3 : 2;
    const calls = await ctx.sim.calls();
    await new Promise((resolve) => setTimeout(resolve, ttls * TTL_S * 1000));
    const use = upstreamUse(calls, await ctx.sim.calls());
    for (const watcher of watchers) watcher.close();
    fanout.sort((a, b) => a - b);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    return {
      idleKiB,
      openS,
      fanoutP50: quantile(fanout, 0.5),
      fanoutP99: quantile(fanout, 0.99),
      lastWatcher: mean(toLast),
      changeToLast: mean(changeToLast),
      cities: CITIES.length,
      locationsPerTtl: (use.openMeteoUnits - use.geocoding) / ttls,
      forecastPerTtl: use.forecast / ttls,
    };
  },
};
