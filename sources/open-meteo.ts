import type { GetJsonRequest, UpstreamHttp } from './http.js';
import { type ForecastLocation, firstIssue, forecastLocation, geocodingResponse } from './open-meteo-schemas.js';
import { UpstreamError } from './upstream-error.js';
import { describeWeatherCode } from './wmo-codes.js';

/** A place as geocoding found it. JSON-serialisable: it is cached, maybe in a shared tier. */
export interface GeoLocation {
  name: string;
  country: string | null;
  latitude: number;
  longitude: number;
  timezone: string | null;
}

export interface Coordinates {
  latitude: number;
  longitude: number;
}

/** The current conditions at one location. JSON-serialisable, so `observedAt` is an ISO string. */
export interface CurrentWeather {
  temperatureC: number;
  apparentTemperatureC: number | null;
  relativeHumidity: number | null;
  windSpeedKmh: number;
  weatherCode: number;
  conditions: string;
  observedAt: string;
}

export type CallOptions = Pick<GetJsonRequest<unknown>, 'deadline' | 'retryTimeouts' | 'onAttempt'>;

export interface OpenMeteoOptions {
  http: UpstreamHttp;
  /** Base URLs without a trailing slash, e.g. https://geocoding-api.open-meteo.com. */
  geocodingUrl: string;
  forecastUrl: string;
}

export interface OpenMeteo {
  /** The best match for a place name, or null when the API knows none. */
  geocode(name: string, options?: CallOptions): Promise<GeoLocation | null>;
  /**
   * Current weather for several locations in one call, one entry per location in order. A
   * location whose entry is malformed gets an UpstreamError of its own; the call as a whole
   * throws only when the response cannot be lined up with the locations at all.
   */
  currentWeather(locations: readonly Coordinates[], options?: CallOptions): Promise<(CurrentWeather | UpstreamError)[]>;
}

const GEOCODING = 'The geocoding service';
const FORECAST = 'The forecast service';
const CURRENT_FIELDS = 'temperature_2m,relative_humidity_2m,apparent_temperature,weather_code,wind_speed_10m';

/** The Open-Meteo geocoding and forecast APIs; every response is checked against its documented shape. */
export function createOpenMeteo({ http, geocodingUrl, forecastUrl }: OpenMeteoOptions): OpenMeteo {
  return {
    geocode(name, options = {}) {
      const url = new URL(`${geocodingUrl}/v1/search`);
      url.search = new URLSearchParams({ name, count: '1', language: 'en', format: 'json' }).toString();
      return http.getJson({ source: 'geocoding', what: GEOCODING, url, ...options, parse: parseGeocoding });
    },

    currentWeather(locations, options = {}) {
      const url = new URL(`${forecastUrl}/v1/forecast`);
      url.search = new URLSearchParams({
        latitude: locations.map((location) => location.latitude).join(','),
        longitude: locations.map((location) => location.longitude).join(','),
        current: CURRENT_FIELDS,
      }).toString();
      return http.getJson({ source: 'forecast', what: FORECAST, url, ...options, parse: (body) => parseForecast(body, locations.length) });
    },
  };
}

function parseGeocoding(body: unknown): GeoLocation | null {
  const parsed = geocodingResponse.safeParse(body);
  if (!parsed.success) throw badResponse(GEOCODING, firstIssue(parsed.error));
  const best = parsed.data.results?.[0];
  if (!best) return null;
  return {
    name: best.name,
    country: best.country ?? null,
    latitude: best.latitude,
    longitude: best.longitude,
    timezone: best.timezone ?? null,
  };
}

function parseForecast(body: unknown, expected: number): (CurrentWeather | UpstreamError)[] {
  // One location answers an object, several an array in request order.
  const entries = Array.isArray(body) ? body : [body];
  if (entries.length !== expected) {
    throw badResponse(FORECAST, `expected ${expected} location(s), got ${Array.isArray(body) ? entries.length : 'an object'}`);
  }
  const results = entries.map((entry) => {
    const parsed = forecastLocation.safeParse(entry);
    return parsed.success ? toCurrentWeather(parsed.data) : badResponse(FORECAST, firstIssue(parsed.error));
  });
  // One bad entry is that location's problem; an answer with no usable entry at all is the host's.
  if (results.every((result) => result instanceof UpstreamError)) throw results[0]!;
  return results;
}

function toCurrentWeather({ utc_offset_seconds: offset = 0, current }: ForecastLocation): CurrentWeather {
  const local = Date.parse(`${current.time}Z`);
  return {
    temperatureC: current.temperature_2m,
    apparentTemperatureC: current.apparent_temperature,
    relativeHumidity: current.relative_humidity_2m,
    windSpeedKmh: current.wind_speed_10m,
    weatherCode: current.weather_code,
    conditions: describeWeatherCode(current.weather_code),
    observedAt: new Date(local - offset * 1000).toISOString(),
  };
}

/** Thrown, it fails the whole call and counts against the host; returned, it is one location's. */
function badResponse(what: string, detail: string): UpstreamError {
  return new UpstreamError('BAD_RESPONSE', `${what} answered with an unexpected shape (${detail})`, { hostFailure: true });
}
