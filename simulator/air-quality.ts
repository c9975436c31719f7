import { createHash } from 'node:crypto';
import { findCityNear } from './cities.js';
import { countOne } from './calls.js';
import { currentSlot, locationsAnswer, openMeteoError, parseCoordinates } from './responses.js';
import type { Upstream } from './upstream.js';

/** The `current` variables the simulator answers, with the units Open-Meteo gives them. */
const AIR_QUALITY_UNITS: Record<string, string> = {
  us_aqi: 'USAQI',
  european_aqi: 'EAQI',
  pm2_5: 'μg/m³',
  pm10: 'μg/m³',
  ozone: 'μg/m³',
  nitrogen_dioxide: 'μg/m³',
};

/** The `current` values of one place, under the names the API gives them. */
export interface SimAirQuality {
  us_aqi: number;
  european_aqi: number;
  pm2_5: number;
  pm10: number;
  ozone: number;
  /** Null for about one place in ten: the real model sometimes has no value, and writes null. */
  nitrogen_dioxide: number | null;
}

/**
 * Plausible, deterministic current air quality for any coordinates (at 2 decimals, like
 * simWeatherAt), so that tests can compute what a place gets. The AQIs are integers, the rest
 * has one decimal, as the real API rounds them.
 */
export function simAirQualityAt(latitude: number, longitude: number): SimAirQuality {
  const bytes = createHash('sha256')
    .update(`${latitude.toFixed(2)},${longitude.toFixed(2)}`)
    .digest();
  // simWeatherAt reads the first bytes of the same hash; these are independent of them.
  const unit = (index: number) => bytes[8 + index]! / 255;
  const round1 = (value: number) => Math.round(value * 10) / 10;
  const pm2_5 = round1(2 + unit(0) * 58);
  return {
    us_aqi: Math.round(unit(1) * 300),
    european_aqi: Math.round(unit(2) * 120),
    pm2_5,
    pm10: round1(pm2_5 * (1.2 + unit(3))),
    ozone: round1(10 + unit(4) * 140),
    nitrogen_dioxide: bytes[13]! % 10 === 0 ? null : round1(1 + unit(5) * 79),
  };
}

/** One location of an air quality answer as Open-Meteo writes it: `location_id` only after the first. */
function airQualityEntry(latitude: number, longitude: number, fields: string[] | undefined, index: number) {
  const values = simAirQualityAt(latitude, longitude) as unknown as Record<string, number | null>;
  return {
    latitude,
    longitude,
    generationtime_ms: 0.08,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: 40,
    ...(index === 0 ? {} : { location_id: index }),
    // A call that asks for no `current` variables gets no current block at all.
    ...(fields === undefined
      ? {}
      : {
          current_units: { time: 'iso8601', interval: 'seconds', ...Object.fromEntries(fields.map((field) => [field, AIR_QUALITY_UNITS[field]])) },
          // Air quality is hourly: the current hour, and an interval of an hour.
          current: { time: currentSlot(3_600_000), interval: 3600, ...Object.fromEntries(fields.map((field) => [field, values[field]])) },
        }),
  };
}

/** Open-Meteo's air quality API, `GET /v1/air-quality?latitude=…&longitude=…&current=…`, for any coordinates. */
export const airQualityUpstream: Upstream = {
  path: '/v1/air-quality',
  errorBody: openMeteoError,
  handle(url, { calls }) {
    calls.airQuality += 1;
    const parsed = parseCoordinates(url);
    if (typeof parsed === 'string') return { status: 400, body: openMeteoError(400, parsed) };
    const asked = url.searchParams.get('current');
    const fields = asked === null ? undefined : asked.split(',').filter(Boolean);
    // One unknown name fails the whole call, as the real API's strict decoding does.
    const unknown = fields?.find((field) => !(field in AIR_QUALITY_UNITS));
    if (unknown !== undefined) {
      return { status: 400, body: openMeteoError(400, `Cannot initialize AirQualityVariable from invalid String value ${unknown} for key current`) };
    }
    calls.airQualityBatchSizes.push(parsed.length);
    const cities = parsed.map(([latitude, longitude]) => findCityNear(latitude, longitude));
    parsed.forEach(([latitude, longitude], index) => {
      countOne(calls.airQualityByCity, cities[index]?.name ?? `${latitude},${longitude}`);
    });
    const entries = parsed.map(([latitude, longitude], index) => airQualityEntry(latitude, longitude, fields, index));
    return locationsAnswer('air-quality', cities, entries, { us_aqi: 'bad', pm2_5: '6.3' });
  },
};
