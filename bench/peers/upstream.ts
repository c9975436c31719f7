// The four upstream APIs as every peer sees them: the shape of their answers, the query of each
// call, and the GraphQL objects the answers become. How and when each peer calls is its own.
// REST Countries v5 wants a key (REST_COUNTRIES_API_KEY), which every peer sends as a bearer token.

export interface Place {
  name: string;
  latitude: number;
  longitude: number;
  country?: string;
  country_code?: string;
  timezone?: string;
}

export interface GeocodingAnswer {
  results?: Place[];
}

export interface CurrentWeather {
  time: string;
  temperature_2m: number;
  relative_humidity_2m: number;
  apparent_temperature: number;
  weather_code: number;
  wind_speed_10m: number;
}

/** One location's entry of a forecast answer; several locations answer an array of them, in request order. */
export interface ForecastEntry {
  current: CurrentWeather;
}

export interface AirQualityEntry {
  current: { us_aqi: number | null };
}

/** A REST Countries v5 object, trimmed to COUNTRY_FIELDS. */
export interface CountryEntry {
  codes: { alpha_2: string };
  names: { common: string };
  capitals?: { name: string }[];
}

/** REST Countries v5's answer: a page of objects. */
export interface CountriesAnswer {
  data: { objects: CountryEntry[] };
}

export const CURRENT_FIELDS = 'temperature_2m,relative_humidity_2m,apparent_temperature,weather_code,wind_speed_10m';
export const AIR_QUALITY_FIELDS = 'us_aqi';
export const COUNTRY_FIELDS = 'codes.alpha_2,names.common,capitals';

/** Query parameters of each call; `Coordinates` lists become Open-Meteo's comma-separated multi-location form. */
export interface Coordinates {
  latitude: number;
  longitude: number;
}

export const geocodingParams = (name: string) => ({ name, count: '1', language: 'en', format: 'json' });
const locations = (at: readonly Coordinates[]) => ({ latitude: at.map((c) => c.latitude).join(','), longitude: at.map((c) => c.longitude).join(',') });
export const forecastParams = (at: readonly Coordinates[]) => ({ ...locations(at), current: CURRENT_FIELDS });
export const airQualityParams = (at: readonly Coordinates[]) => ({ ...locations(at), current: AIR_QUALITY_FIELDS });
export const countriesParams = { response_fields: COUNTRY_FIELDS };
/** REST Countries v5 by one code: it has no call for several codes, and the free tier counts every call. */
export const countryPath = (code: string) => `/countries/v5/codes.alpha_2/${encodeURIComponent(code)}`;

/** A multi-location answer as a list: one location answers an object, several an array. */
export function entries<T>(body: T | T[]): T[] {
  return Array.isArray(body) ? body : [body];
}

/** The countries of REST Countries answers by code. */
export function byCode(answers: CountriesAnswer[]): Map<string, CountryEntry> {
  return new Map(answers.flatMap((answer) => answer.data.objects).map((country) => [country.codes.alpha_2.toUpperCase(), country]));
}

export type PeerLocation = Coordinates & { name: string; country: string | null; countryCode: string | null; timezone: string | null };

/** A City object, the parent its part resolvers get. */
export interface CityPlace {
  __typename: 'City';
  name: string;
  location: PeerLocation;
}

export function locationOf(place: Place): PeerLocation {
  return {
    name: place.name,
    country: place.country ?? null,
    countryCode: place.country_code ?? null,
    latitude: place.latitude,
    longitude: place.longitude,
    timezone: place.timezone ?? null,
  };
}

export interface CityFailure {
  __typename: 'CityError';
  name: string;
  code: string;
  message: string;
}

/** A City for a name geocoding placed, or a CityError. */
export function cityOf(name: string, geocoding: GeocodingAnswer): CityPlace | CityFailure {
  const place = geocoding.results?.[0];
  if (!place) return { __typename: 'CityError', name, code: 'CITY_NOT_FOUND', message: `No place called ${name}` };
  return { __typename: 'City', name, location: locationOf(place) };
}

/** The CityError of a name whose look-up failed. */
export function cityFailure(name: string, error: unknown): CityFailure {
  return { __typename: 'CityError', name, code: 'UPSTREAM_UNAVAILABLE', message: error instanceof Error ? error.message : String(error) };
}

/** The CityWeather of a city at a location, or a WeatherError when it has none. */
export function weatherOf(city: string, location: PeerLocation | null, forecast: ForecastEntry | null) {
  if (!location || !forecast) return { __typename: 'WeatherError', city, code: 'CITY_NOT_FOUND', message: `No place called ${city}` };
  const current = forecast.current;
  return {
    __typename: 'CityWeather',
    city,
    location,
    temperatureC: current.temperature_2m,
    apparentTemperatureC: current.apparent_temperature,
    relativeHumidity: current.relative_humidity_2m,
    windSpeedKmh: current.wind_speed_10m,
    weatherCode: current.weather_code,
    conditions: `WMO ${current.weather_code}`,
    observedAt: current.time,
    stale: false,
  };
}

export function weatherError(city: string, error: unknown) {
  return { __typename: 'WeatherError', city, code: 'UPSTREAM_UNAVAILABLE', message: error instanceof Error ? error.message : String(error) };
}

/** The US EPA's AQI bands (upper bounds) and their names; past 500 the Hazardous advice applies. */
const US_AQI_BANDS: [upTo: number, category: string][] = [
  [50, 'Good'],
  [100, 'Moderate'],
  [150, 'Unhealthy for Sensitive Groups'],
  [200, 'Unhealthy'],
  [300, 'Very Unhealthy'],
];

export function airQualityOf(entry: AirQualityEntry) {
  const aqi = entry.current.us_aqi === null ? null : Math.round(entry.current.us_aqi);
  return { __typename: 'AirQuality', usAqi: aqi, category: aqi === null ? null : (US_AQI_BANDS.find(([upTo]) => aqi <= upTo)?.[1] ?? 'Hazardous') };
}

export function countryOf(code: string | null, country: CountryEntry | undefined) {
  if (!code || !country) return upstreamError('countries', `No country ${code ?? '(none given)'}`, 'NOT_FOUND');
  return { __typename: 'Country', code: country.codes.alpha_2, name: country.names.common, capitals: (country.capitals ?? []).map((capital) => capital.name) };
}

export function upstreamError(source: string, error: unknown, code = 'UPSTREAM_UNAVAILABLE') {
  return { __typename: 'UpstreamError', source, code, message: error instanceof Error ? error.message : String(error) };
}
