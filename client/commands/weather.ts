import { CurrentWeatherDocument } from '../generated/graphql.js';
import { formatTable } from '../table.js';
import { type Command, UsageError } from './command.js';
import { reportErrors } from './report.js';

/** `weather <city>…`: one row per city, the weather or why there is none. */
export const weather: Command = {
  name: 'weather',
  usage: '<city> [city …]',
  summary: 'current weather per city; a failing city is a row of its own',
  async run(args, context) {
    if (args.length === 0) throw new UsageError('name at least one city, e.g. weather London Paris');
    const result = await context.execute(CurrentWeatherDocument, { cities: args });
    if (result.data) {
      const rows = result.data.weather.map((item) => {
        if (item.__typename === 'WeatherError') return [item.city, '', item.code, item.message];
        const place = [item.location.name, item.location.country].filter(Boolean).join(', ');
        const reading = `${item.temperatureC.toFixed(1)} °C, wind ${item.windSpeedKmh.toFixed(0)} km/h`;
        return [item.city, place, reading, item.stale ? `${item.conditions} (stale)` : item.conditions];
      });
      context.print(formatTable([{ header: 'city', maxWidth: 24 }, { header: 'place', maxWidth: 32 }, { header: 'weather' }, { header: 'conditions' }], rows));
    }
    return reportErrors(result, context);
  },
};
