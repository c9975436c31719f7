import { CurrentWeatherDocument } from '../../client/generated/graphql.js';
import { counterTotal } from '../harness/gateway-metrics.js';
import { allWeather, expectAnswer, WARM_CITIES } from './queries.js';
import { THROUGHPUT_COLUMNS, throughputMethod, throughputValues, warmThenMeasure } from './throughput.js';
import type { Scenario } from './types.js';

/** The client's trusted document `CurrentWeather` (client/operations/weather.graphql) for the warm cities of (a), by its id. */
const WEATHER_GET = {
  get: `documentId=${(CurrentWeatherDocument as unknown as { __meta__: { hash: string } }).__meta__.hash}&variables=${encodeURIComponent(JSON.stringify({ cities: WARM_CITIES }))}`,
};

/**
 * (n) Anonymous GETs of a trusted document whose answer may be kept, as a CDN or nginx sees
 * them: gatherql alone, gatherql behind nginx's proxy_cache (docs/deploy.md), and node:http
 * writing the same bytes (the limit of an answer already in memory).
 */
export const cachedGet: Scenario = {
  id: 'n',
  title: 'Cached GET of a trusted document: alone, behind nginx proxy_cache, and node:http',
  method: (durations) =>
    [
      throughputMethod(
        `\`GET /graphql?documentId=…&variables=…\` of the client's trusted document \`CurrentWeather\` for ${WARM_CITIES.join(', ')}, anonymous, no upstream latency`,
        durations,
      ),
      '',
      '- `gatherql`: `server.ts` answers from its response cache (the lane of kept answers in front of Yoga, `http/kept-answers.ts`).',
      "- `gatherql-behind-nginx-cache`: the same gatherql behind nginx with the proxy_cache recipe of docs/deploy.md; nginx keeps the answer for its `max-age` (the weather's time to live). Its CPU is gatherql's; nginx's is in its own column.",
      '- `raw-node`: node:http writing the bytes gatherql answered to the same request, kept in memory: the limit of an answer already in memory.',
      '- Requests that reached gatherql: its own count of GETs over the measured round (none for raw-node).',
    ].join('\n'),
  faults: [],
  columns: [
    ...THROUGHPUT_COLUMNS,
    { key: 'nginxCpuUs', label: 'nginx CPU µs / request', digits: 0 },
    { key: 'reached', label: 'requests that reached gatherql', digits: 0 },
  ],
  ratioKey: 'rps',
  higherIsBetter: true,
  ratioServers: ['gatherql', 'raw-node'],
  async measure(server, ctx) {
    await expectAnswer(server.url, WEATHER_GET, allWeather(WARM_CITIES.length));
    const reached = () => counterTotal(server, 'gatherql_http_request_duration_seconds_count', { method: 'GET' });
    let before: number | null = null;
    const measured = await warmThenMeasure(server, ctx, WEATHER_GET, async () => (before = await reached()));
    const after = await reached();
    return {
      ...throughputValues(measured),
      nginxCpuUs: measured.serviceCpuUsPerRequest.nginx ?? null,
      reached: before === null || after === null ? null : after - before,
    };
  },
};
