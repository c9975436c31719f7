import { WatchWeatherDocument, type WatchWeatherSubscription } from '../generated/graphql.js';
import { type Command, UsageError } from './command.js';
import { reportErrors } from './report.js';

type Reading = WatchWeatherSubscription['weatherUpdates'];

/** One line per event: when it came, the city, and its weather or why there is none. */
function line(reading: Reading, at: Date): string {
  const time = at.toISOString().slice(11, 19);
  if (reading.__typename === 'WeatherError') return `${time} ${reading.city}: ${reading.code} ${reading.message}`;
  const observed = reading.observedAt.slice(11, 16);
  return `${time} ${reading.city}: ${reading.temperatureC.toFixed(1)} °C, wind ${reading.windSpeedKmh.toFixed(0)} km/h, ${reading.conditions} (observed ${observed} UTC)`;
}

/**
 * `watch <city>…`: each city's weather at once, then a line whenever the server's value for a
 * city changes, until Ctrl-C (exit 0) or the server ends the stream (it does when it shuts
 * down: run it again to reconnect).
 */
export const watch: Command = {
  name: 'watch',
  usage: '<city> [city …]',
  summary: 'weather per city now, then each change, until Ctrl-C',
  async run(args, context) {
    if (args.length === 0) throw new UsageError('name at least one city, e.g. watch Rome Oslo');
    for await (const result of context.subscribe(WatchWeatherDocument, { cities: args })) {
      if (result.errors.length > 0) return reportErrors(result, context);
      if (result.data) context.print(line(result.data.weatherUpdates, new Date()));
    }
    return 0;
  },
};
