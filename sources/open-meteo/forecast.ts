import type { BatchCall } from '../kit/batcher.js';
import type { OpenMeteoApiOptions } from './api-options.js';
import { createLocationsCall, utcTime } from './locations.js';
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
export function createForecast(options: OpenMeteoApiOptions): BatchCall<CurrentWeather> {
  return createLocationsCall(options, {
    name: 'forecast',
    what: FORECAST,
    path: '/v1/forecast',
    currentFields: CURRENT_FIELDS,
    schema: forecastLocation,
    convert: toCurrentWeather,
  });
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
