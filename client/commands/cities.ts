import type { ExecutionResult } from '../execute.js';
import { CitiesAsTheyArriveDocument, type CitiesAsTheyArriveQuery } from '../generated/graphql.js';
import { formatTable } from '../table.js';
import { type Command, UsageError } from './command.js';
import { reportErrors } from './report.js';

type Place = CitiesAsTheyArriveQuery['cities'][number];

function weatherLine(place: Place): string | null {
  if (place.__typename !== 'City' || !place.weather) return null;
  const { weather } = place;
  return weather.__typename === 'CityWeather'
    ? `${place.name}: ${weather.temperatureC.toFixed(1)} °C, ${weather.conditions}${weather.stale ? ' (stale)' : ''}`
    : `${place.name}: ${weather.code} ${weather.message}`;
}

/**
 * `cities <name>…`: where each place is, as soon as the server has placed them all, then each
 * city's weather on a line of its own as its part of the answer arrives (@defer), so a slow
 * forecast holds up only the lines that wait for it.
 */
export const cities: Command = {
  name: 'cities',
  usage: '<name> [name …]',
  summary: 'places at once, then the weather of each as it arrives',
  async run(args, context) {
    if (args.length === 0) throw new UsageError('name at least one place, e.g. cities Berlin Lima');
    let placesShown = false;
    const weatherShown = new Set<number>();
    let last: ExecutionResult<unknown> | undefined;
    for await (const result of context.executeIncrementally(CitiesAsTheyArriveDocument, { names: args })) {
      last = result;
      const places = result.data?.cities;
      if (!places) continue;
      if (!placesShown) {
        const rows = places.map((place) =>
          place.__typename === 'City'
            ? [place.name, [place.location.name, place.location.country].filter(Boolean).join(', ')]
            : [place.name, `${place.code}: ${place.message}`],
        );
        context.print(
          formatTable(
            [
              { header: 'name', maxWidth: 24 },
              { header: 'place', maxWidth: 72 },
            ],
            rows,
          ),
        );
        placesShown = true;
      }
      places.forEach((place, index) => {
        const line = weatherShown.has(index) ? null : weatherLine(place);
        if (!line) return;
        weatherShown.add(index);
        context.print(line);
      });
    }
    return reportErrors(last!, context);
  },
};
