import { allWeather, expectAnswer, POSTS_BODY, tenPostsWithAuthors, WARM_CITIES, weatherBody } from './queries.js';
import { THROUGHPUT_COLUMNS, throughputMethod, UPSTREAM_COLUMNS, warmThenMeasure } from './throughput.js';
import { LATENCY, type Scenario, UPSTREAM_MS } from './types.js';

/** (f) Scenarios (a) and (b) interleaved on the same connections: what one instance serves all day. */
export const mixedLoad: Scenario = {
  id: 'f',
  title: 'Mixed load: (a) and (b) alternating',
  method: (durations) =>
    throughputMethod(`Requests alternate between (a) and (b); upstream ${UPSTREAM_MS} ms per call`, durations) +
    ' Event-loop delay p99 is measured inside the server (perf_hooks, 10 ms resolution) over the measured round only.',
  faults: LATENCY,
  columns: [...THROUGHPUT_COLUMNS, { key: 'loopP99', label: 'event-loop delay p99 ms', digits: 1 }, ...UPSTREAM_COLUMNS],
  ratioKey: 'p99',
  higherIsBetter: false,
  async measure(server, ctx) {
    const weather = weatherBody(WARM_CITIES);
    await expectAnswer(server.url, weather, allWeather(WARM_CITIES.length));
    await expectAnswer(server.url, POSTS_BODY, tenPostsWithAuthors);
    const body = (index: number) => (index % 2 === 0 ? weather : POSTS_BODY);
    // The probe reports and restarts its histogram on each call: asking once after the
    // warm-up leaves only the measured round in the figure asked for afterwards.
    const measured = await warmThenMeasure(server, ctx, body, () => server.eventLoopDelayP99Ms());
    const loopP99 = await server.eventLoopDelayP99Ms();
    return {
      rps: measured.result.requestsPerSecond,
      p50: measured.result.p50Ms,
      p99: measured.result.p99Ms,
      cpuUs: measured.cpuUsPerRequest,
      loopP99,
      upstream: measured.upstreamPerRequest,
      units: measured.unitsPerRequest,
      failures: measured.result.failures,
    };
  },
};
