import type { BatchCall } from '../kit/batcher.js';
import type { OpenMeteoApiOptions } from './api-options.js';
import { createLocationsCall, utcTime } from './locations.js';
import { type AirQualityLocation, airQualityLocation } from './schemas.js';

/** Current air quality at one location; null where the model has no value. JSON-serialisable. */
export interface AirQualityNow {
  usAqi: number | null;
  europeanAqi: number | null;
  /** Plain words for the US AQI band, e.g. "Moderate"; null when usAqi is null. */
  category: string | null;
  pm2_5: number | null;
  pm10: number | null;
  ozone: number | null;
  nitrogenDioxide: number | null;
  observedAt: string;
}

export const AIR_QUALITY = 'The air quality service';
const CURRENT_FIELDS = 'us_aqi,european_aqi,pm2_5,pm10,ozone,nitrogen_dioxide';

/** Open-Meteo's air quality API: current readings for several coordinates keys in one call. */
export function createAirQuality(options: OpenMeteoApiOptions): BatchCall<AirQualityNow> {
  return createLocationsCall(options, {
    name: 'air-quality',
    what: AIR_QUALITY,
    path: '/v1/air-quality',
    currentFields: CURRENT_FIELDS,
    schema: airQualityLocation,
    convert: toAirQuality,
  });
}

/** The US EPA's AQI bands (upper bounds) and their names; past 500 the Hazardous advice applies. */
const US_AQI_BANDS: [upTo: number, category: string][] = [
  [50, 'Good'],
  [100, 'Moderate'],
  [150, 'Unhealthy for Sensitive Groups'],
  [200, 'Unhealthy'],
  [300, 'Very Unhealthy'],
];

/** Plain words for a US AQI value, e.g. 72 -> "Moderate". */
export function usAqiCategory(aqi: number): string {
  return US_AQI_BANDS.find(([upTo]) => aqi <= upTo)?.[1] ?? 'Hazardous';
}

function toAirQuality({ utc_offset_seconds: offset, current }: AirQualityLocation): AirQualityNow {
  return {
    usAqi: current.us_aqi === null ? null : Math.round(current.us_aqi),
    europeanAqi: current.european_aqi === null ? null : Math.round(current.european_aqi),
    category: current.us_aqi === null ? null : usAqiCategory(Math.round(current.us_aqi)),
    pm2_5: current.pm2_5,
    pm10: current.pm10,
    ozone: current.ozone,
    nitrogenDioxide: current.nitrogen_dioxide,
    observedAt: utcTime(current.time, offset),
  };
}
