import type { BatchCall } from '../kit/batcher.js';
import type { OpenMeteoApiOptions } from './geocoding.js';
import { limitedWindow } from './limits.js';
import { locationsQuery, parseLocations, utcTime } from './locations.js';
import { type ForecastLocation, forecastLocation } from './schemas.js';
import { describeWeatherCode } from './wmo-codes.js';

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

export const FORECAST = 'The forecast service';
const CURRENT_FIELDS = 'temperature_2m,relative_humidity_2m,apparent_temperature,weather_code,wind_speed_10m';

/** Open-Meteo's forecast API: current weather for several coordinates keys in one call (see coordinatesKey). */
export function createForecast({ http, baseUrl, policy, quota }: OpenMeteoApiOptions): BatchCall<CurrentWeather> {
  const source = http.source({ name: 'forecast', what: FORECAST, baseUrl, policy, quota, limitedWindow });
  return (keys, { retry, ...context }) => {
    const url = new URL(`${baseUrl}/v1/forecast`);
    url.search = new URLSearchParams({ ...locationsQuery(keys), current: CURRENT_FIELDS }).toString();
    // Open-Meteo counts every location of a call.
    return source.getJson({
      url,
      context,
      retry,
      weight: keys.length,
      parse: (body) => parseLocations(body, keys.length, forecastLocation, toCurrentWeather, FORECAST),
    });
  };
}

function toCurrentWeather({ utc_offset_seconds: offset, current }: ForecastLocation): CurrentWeather {
  return {
    temperatureC: current.temperature_2m,
    apparentTemperatureC: current.apparent_temperature,
    relativeHumidity: current.relative_humidity_2m,
    windSpeedKmh: current.wind_speed_10m,
    weatherCode: current.weather_code,
    conditions: describeWeatherCode(current.weather_code),
    observedAt: utcTime(current.time, offset),
  };
}
