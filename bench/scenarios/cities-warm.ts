import { SIM_CITIES } from '../../simulator/cities.js';
import { FANOUT } from './cold-fanout.js';
import { allCities, citiesBody, expectAnswer } from './queries.js';
import { THROUGHPUT_COLUMNS, throughputMethod, throughputValues, UPSTREAM_COLUMNS, warmThenMeasure } from './throughput.js';
import { LATENCY, type Scenario, UPSTREAM_MS } from './types.js';

/** Twenty real cities in twenty countries, the same in every request. */
export const WARM_CITY_NAMES = SIM_CITIES.slice(0, FANOUT).map((city) => city.name);

/** (h) The same twenty cities with every part, again and again. */
export const citiesWarm: Scenario = {
  id: 'h',
  title: `Cities, all parts, ${FANOUT} warm`,
  method: (durations) =>
    `${throughputMethod(
      `\`cities\` for the same ${FANOUT} known cities (${WARM_CITY_NAMES.slice(0, 3).join(', ')}, …, in ${FANOUT} countries) in every request, ` +
        `selecting location, weather, air quality and country; upstream ${UPSTREAM_MS} ms per call`,
      durations,
    )} As in (a), the warm-up fills every cache a server has; a server without one calls the upstreams every time.`,
  faults: LATENCY,
  columns: [...THROUGHPUT_COLUMNS, ...UPSTREAM_COLUMNS],
  ratioKey: 'rps',
  higherIsBetter: true,
  async measure(server, ctx) {
    const body = citiesBody(WARM_CITY_NAMES);
    await expectAnswer(server.url, body, allCities(FANOUT));
    return throughputValues(await warmThenMeasure(server, ctx, body));
  },
};
