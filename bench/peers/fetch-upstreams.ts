// The upstream calls a tutorial would write with fetch, for the peers whose docs prescribe no
// HTTP client of their own (Yoga, Mercurius): one function per call, no cache.
import type { PeerSettings } from './shared.js';
import {
  airQualityParams,
  byCode,
  type Coordinates,
  type AirQualityEntry,
  type CountriesAnswer,
  cityFailure,
  cityOf,
  countriesParams,
  countryPath,
  entries,
  type ForecastEntry,
  forecastParams,
  type GeocodingAnswer,
  geocodingParams,
  weatherError,
  weatherOf,
} from './upstream.js';

async function getJson<T>(base: string, path: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`${base}${path}?${new URLSearchParams(params)}`, { headers });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as T;
}

export type Upstreams = ReturnType<typeof fetchUpstreams>;

/** One function per upstream call; the Open-Meteo ones take several locations, as the API does. */
export function fetchUpstreams(settings: PeerSettings) {
  const key = { authorization: `Bearer ${settings.countriesApiKey}` };
  return {
    geocode: (name: string) => getJson<GeocodingAnswer>(settings.geocodingUrl, '/v1/search', geocodingParams(name)),
    forecasts: async (at: readonly Coordinates[]) =>
      entries(await getJson<ForecastEntry | ForecastEntry[]>(settings.forecastUrl, '/v1/forecast', forecastParams(at))),
    airQualities: async (at: readonly Coordinates[]) =>
      entries(await getJson<AirQualityEntry | AirQualityEntry[]>(settings.airQualityUrl, '/v1/air-quality', airQualityParams(at))),
    countries: async (codes: readonly string[]) =>
      byCode(await Promise.all(codes.map((code) => getJson<CountriesAnswer>(settings.countriesUrl, countryPath(code), countriesParams, key)))),
  };
}

/** `weather` as a tutorial writes it: per city, geocoding then its forecast, cities side by side. */
export function fetchWeather(api: Upstreams, cities: string[]) {
  return Promise.all(
    cities.map(async (city) => {
      try {
        const place = cityOf(city, await api.geocode(city));
        if (place.__typename !== 'City') return weatherOf(city, null, null);
        const [forecast] = await api.forecasts([place.location]);
        return weatherOf(city, place.location, forecast ?? null);
      } catch (error) {
        return weatherError(city, error);
      }
    }),
  );
}

/** `cities`: every name geocoded side by side; a failed look-up is that name's CityError. */
export function fetchCities(api: Upstreams, names: string[]) {
  return Promise.all(
    names.map((name) =>
      api.geocode(name).then(
        (answer) => cityOf(name, answer),
        (error: unknown) => cityFailure(name, error),
      ),
    ),
  );
}
