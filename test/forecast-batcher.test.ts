import { describe, expect, it } from 'vitest';
import { createForecastBatcher } from '../loaders/forecast-batcher.js';
import type { UpstreamAttempt } from '../sources/http.js';
import type { CallOptions, Coordinates, CurrentWeather, OpenMeteo } from '../sources/open-meteo.js';

/** A forecast source that answers at once and reports one attempt per call, as the HTTP client does. */
function fakeSource() {
  const calls: Coordinates[][] = [];
  const weatherAt = ({ latitude }: Coordinates) => ({ temperatureC: latitude }) as CurrentWeather;
  const source: OpenMeteo = {
    geocode: () => Promise.reject(new Error('not used')),
    async currentWeather(locations, options: CallOptions = {}) {
      calls.push([...locations]);
      options.onAttempt?.({ source: 'forecast', outcome: 'ok', durationMs: 5 });
      return locations.map(weatherAt);
    },
  };
  return { source, calls };
}

describe('forecast batcher', () => {
  it('sends the keys of one turn in one call, and tells every caller of that call of its attempts', async () => {
    const { source, calls } = fakeSource();
    const batcher = createForecastBatcher(source, { budgetMs: 1000 });
    const heard = { a: [] as UpstreamAttempt[], b: [] as UpstreamAttempt[] };
    const [a, b, unobserved] = await Promise.all([
      batcher.load('1.00,2.00', (attempt) => heard.a.push(attempt)),
      batcher.load('3.00,4.00', (attempt) => heard.b.push(attempt)),
      batcher.load('5.00,6.00'),
    ]);
    expect([a.temperatureC, b.temperatureC, unobserved.temperatureC]).toEqual([1, 3, 5]);
    expect(calls).toHaveLength(1);
    expect(heard.a).toEqual([{ source: 'forecast', outcome: 'ok', durationMs: 5 }]);
    expect(heard.b).toEqual(heard.a);
  });

  it('tells a caller only of the calls that carried its keys', async () => {
    const { source, calls } = fakeSource();
    const batcher = createForecastBatcher(source, { budgetMs: 1000, batchCap: 1 });
    const heard: UpstreamAttempt[] = [];
    await Promise.all([batcher.load('1.00,2.00', (attempt) => heard.push(attempt)), batcher.load('3.00,4.00')]);
    expect(calls).toHaveLength(2);
    expect(heard).toHaveLength(1);
    // Nothing is kept for a later batch: the next call of the same key is heard by its own caller only.
    await batcher.load('1.00,2.00');
    expect(heard).toHaveLength(1);
  });
});
