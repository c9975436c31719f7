import { allWeather, expectAnswer, WARM_CITIES, weatherBody } from './queries.js';
import { THROUGHPUT_COLUMNS, throughputMethod, throughputValues, UPSTREAM_COLUMNS, warmThenMeasure } from './throughput.js';
import { LATENCY, type Scenario, UPSTREAM_MS } from './types.js';

/** (a) The same five real cities again and again: what a popular dashboard asks. */
export const warmWeather: Scenario = {
  id: 'a',
  title: 'Warm weather, 5 cities',
  method: (durations) =>
    throughputMethod(`\`weather\` for ${WARM_CITIES.join(', ')}; upstream ${UPSTREAM_MS} ms per call`, durations) +
    ' "Warm" means every cache the server has is filled by the warm-up; servers without a cross-request cache call the upstream every time.',
  faults: LATENCY,
  columns: [...THROUGHPUT_COLUMNS, ...UPSTREAM_COLUMNS],
  ratioKey: 'rps',
  higherIsBetter: true,
  async measure(server, ctx) {
    const body = weatherBody(WARM_CITIES);
    await expectAnswer(server.url, body, allWeather(WARM_CITIES.length));
    return throughputValues(await warmThenMeasure(server, ctx, body));
  },
};
