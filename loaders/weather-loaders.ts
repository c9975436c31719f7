import DataLoader from 'dataloader';
import type { AttemptListener } from '../sources/http.js';
import type { WeatherLookup, WeatherService } from './weather-service.js';

/**
 * Per request: `weatherByCity` is keyed by the normalised city name, so that duplicates and
 * spelling variants anywhere in one request ("Paris", " paris ", "PARIS") share one look-up.
 * It resolves null for a place geocoding does not know and rejects with the UpstreamError
 * that stopped a city. `onAttempt` hears of the upstream attempts made for the request.
 */
export function createWeatherLoaders(weather: WeatherService | undefined, onAttempt?: AttemptListener) {
  return {
    weatherByCity: new DataLoader<string, WeatherLookup | null>(async (names) => {
      if (!weather) throw new Error('weatherByCity needs a weather service: pass `weather` to createLoaders');
      return weather.lookUp(names, onAttempt);
    }),
  };
}
