import { createHash } from 'node:crypto';
import { WMO_CODES } from '../sources/open-meteo/wmo-codes.js';

/** A real place: coordinates and timezone as public gazetteers give them. */
export interface SimCity {
  id: number;
  name: string;
  country: string;
  countryCode: string;
  latitude: number;
  longitude: number;
  timezone: string;
  /** Other spellings the geocoder accepts, e.g. without diacritics. */
  aliases?: string[];
}

type Row = [name: string, country: string, code: string, latitude: number, longitude: number, timezone: string, aliases?: string[]];

const ROWS: Row[] = [
  ['Berlin', 'Germany', 'DE', 52.52437, 13.41053, 'Europe/Berlin'],
  ['Paris', 'France', 'FR', 48.85341, 2.3488, 'Europe/Paris'],
  ['London', 'United Kingdom', 'GB', 51.50853, -0.12574, 'Europe/London'],
  ['Madrid', 'Spain', 'ES', 40.4165, -3.70256, 'Europe/Madrid'],
  ['Rome', 'Italy', 'IT', 41.89193, 12.51133, 'Europe/Rome', ['Roma']],
  ['Amsterdam', 'Netherlands', 'NL', 52.37403, 4.88969, 'Europe/Amsterdam'],
  ['Vienna', 'Austria', 'AT', 48.20849, 16.37208, 'Europe/Vienna', ['Wien']],
  ['Zürich', 'Switzerland', 'CH', 47.36667, 8.55, 'Europe/Zurich', ['Zurich']],
  ['Stockholm', 'Sweden', 'SE', 59.32938, 18.06871, 'Europe/Stockholm'],
  ['Oslo', 'Norway', 'NO', 59.91273, 10.74609, 'Europe/Oslo'],
  ['Copenhagen', 'Denmark', 'DK', 55.67594, 12.56553, 'Europe/Copenhagen', ['København']],
  ['Helsinki', 'Finland', 'FI', 60.16952, 24.93545, 'Europe/Helsinki'],
  ['Warsaw', 'Poland', 'PL', 52.22977, 21.01178, 'Europe/Warsaw', ['Warszawa']],
  ['Prague', 'Czechia', 'CZ', 50.08804, 14.42076, 'Europe/Prague', ['Praha']],
  ['Lisbon', 'Portugal', 'PT', 38.72509, -9.1498, 'Europe/Lisbon', ['Lisboa']],
  ['Dublin', 'Ireland', 'IE', 53.33306, -6.24889, 'Europe/Dublin'],
  ['Athens', 'Greece', 'GR', 37.98376, 23.72784, 'Europe/Athens'],
  ['Istanbul', 'Türkiye', 'TR', 41.01384, 28.94966, 'Europe/Istanbul'],
  ['Moscow', 'Russia', 'RU', 55.75222, 37.61556, 'Europe/Moscow'],
  ['Kyiv', 'Ukraine', 'UA', 50.45466, 30.5238, 'Europe/Kyiv', ['Kiev']],
  ['Reykjavík', 'Iceland', 'IS', 64.13548, -21.89541, 'Atlantic/Reykjavik', ['Reykjavik']],
  ['New York', 'United States', 'US', 40.71427, -74.00597, 'America/New_York', ['New York City']],
  ['Los Angeles', 'United States', 'US', 34.05223, -118.24368, 'America/Los_Angeles'],
  ['Chicago', 'United States', 'US', 41.85003, -87.65005, 'America/Chicago'],
  ['Honolulu', 'United States', 'US', 21.30694, -157.85833, 'Pacific/Honolulu'],
  ['Toronto', 'Canada', 'CA', 43.70643, -79.39864, 'America/Toronto'],
  ['Vancouver', 'Canada', 'CA', 49.24966, -123.11934, 'America/Vancouver'],
  ['Mexico City', 'Mexico', 'MX', 19.42847, -99.12766, 'America/Mexico_City'],
  ['São Paulo', 'Brazil', 'BR', -23.5475, -46.63611, 'America/Sao_Paulo', ['Sao Paulo']],
  ['Rio de Janeiro', 'Brazil', 'BR', -22.90642, -43.18223, 'America/Sao_Paulo'],
  ['Buenos Aires', 'Argentina', 'AR', -34.61315, -58.37723, 'America/Argentina/Buenos_Aires'],
  ['Lima', 'Peru', 'PE', -12.04318, -77.02824, 'America/Lima'],
  ['Bogotá', 'Colombia', 'CO', 4.60971, -74.08175, 'America/Bogota', ['Bogota']],
  ['Santiago', 'Chile', 'CL', -33.45694, -70.64827, 'America/Santiago'],
  ['Cairo', 'Egypt', 'EG', 30.06263, 31.24967, 'Africa/Cairo'],
  ['Lagos', 'Nigeria', 'NG', 6.45407, 3.39467, 'Africa/Lagos'],
  ['Nairobi', 'Kenya', 'KE', -1.28333, 36.81667, 'Africa/Nairobi'],
  ['Johannesburg', 'South Africa', 'ZA', -26.20227, 28.04363, 'Africa/Johannesburg'],
  ['Cape Town', 'South Africa', 'ZA', -33.92584, 18.42322, 'Africa/Johannesburg'],
  ['Casablanca', 'Morocco', 'MA', 33.58831, -7.61138, 'Africa/Casablanca'],
  ['Dubai', 'United Arab Emirates', 'AE', 25.07725, 55.30927, 'Asia/Dubai'],
  ['Mumbai', 'India', 'IN', 19.07283, 72.88261, 'Asia/Kolkata', ['Bombay']],
  ['Delhi', 'India', 'IN', 28.65195, 77.23149, 'Asia/Kolkata'],
  ['Bangkok', 'Thailand', 'TH', 13.75398, 100.50144, 'Asia/Bangkok'],
  ['Singapore', 'Singapore', 'SG', 1.28967, 103.85007, 'Asia/Singapore'],
  ['Hong Kong', 'Hong Kong', 'HK', 22.27832, 114.17469, 'Asia/Hong_Kong'],
  ['Beijing', 'China', 'CN', 39.9075, 116.39723, 'Asia/Shanghai'],
  ['Shanghai', 'China', 'CN', 31.22222, 121.45806, 'Asia/Shanghai'],
  ['Seoul', 'South Korea', 'KR', 37.566, 126.9784, 'Asia/Seoul'],
  ['Tokyo', 'Japan', 'JP', 35.6895, 139.69171, 'Asia/Tokyo'],
  ['Jakarta', 'Indonesia', 'ID', -6.21462, 106.84513, 'Asia/Jakarta'],
  ['Manila', 'Philippines', 'PH', 14.6042, 120.9822, 'Asia/Manila'],
  ['Sydney', 'Australia', 'AU', -33.86785, 151.20732, 'Australia/Sydney'],
  ['Melbourne', 'Australia', 'AU', -37.814, 144.96332, 'Australia/Melbourne'],
  ['Auckland', 'New Zealand', 'NZ', -36.84853, 174.76349, 'Pacific/Auckland'],
  // More towns in a few countries, for tests of many places in few countries.
  ['Hamburg', 'Germany', 'DE', 53.55073, 9.99302, 'Europe/Berlin'],
  ['Munich', 'Germany', 'DE', 48.13743, 11.57549, 'Europe/Berlin', ['München']],
  ['Cologne', 'Germany', 'DE', 50.93333, 6.95, 'Europe/Berlin', ['Köln']],
  ['Lyon', 'France', 'FR', 45.74846, 4.84671, 'Europe/Paris'],
  ['Marseille', 'France', 'FR', 43.29695, 5.38107, 'Europe/Paris'],
  ['Toulouse', 'France', 'FR', 43.60426, 1.44367, 'Europe/Paris'],
  ['Osaka', 'Japan', 'JP', 34.69374, 135.50218, 'Asia/Tokyo'],
  ['Kyoto', 'Japan', 'JP', 35.02107, 135.75385, 'Asia/Tokyo'],
  ['Sapporo', 'Japan', 'JP', 43.06417, 141.34694, 'Asia/Tokyo'],
  ['Brasília', 'Brazil', 'BR', -15.77972, -47.92972, 'America/Sao_Paulo', ['Brasilia']],
  ['Salvador', 'Brazil', 'BR', -12.97111, -38.51083, 'America/Bahia'],
];

/** The places the simulator knows; ids are the simulator's own, not GeoNames ids. */
export const SIM_CITIES: readonly SimCity[] = ROWS.map(([name, country, countryCode, latitude, longitude, timezone, aliases], index) => ({
  id: 1000 + index,
  name,
  country,
  countryCode,
  latitude,
  longitude,
  timezone,
  ...(aliases ? { aliases } : {}),
}));

/** How the simulator compares names: case- and space-insensitive, like the real geocoder. */
export function simNameKey(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

const byName = new Map<string, SimCity>();
for (const city of SIM_CITIES) for (const name of [city.name, ...(city.aliases ?? [])]) byName.set(simNameKey(name), city);

export function findCityByName(name: string): SimCity | undefined {
  return byName.get(simNameKey(name));
}

/** Names like `Sim 42`: places no cache has seen yet, for cold-cache benchmarks. */
const SYNTHETIC_NAME = /^sim (\d{1,7})$/;

/**
 * The made-up place a synthetic name (`Sim 0` … `Sim 9999999`) stands for, or undefined for
 * any other name. Deterministic, and each number gets its own coordinates at 2 decimals (what
 * a client rounds to), so every name is a distinct cache key and a distinct forecast location.
 */
export function syntheticCity(name: string): SimCity | undefined {
  const match = SYNTHETIC_NAME.exec(simNameKey(name));
  if (!match) return undefined;
  const number = Number(match[1]);
  // 12 000 latitudes from -60.00 to 59.99, then the next longitude: 1e7 names fit in ±180°.
  const latitude = -60 + (number % 12_000) / 100;
  const longitude = -170 + Math.floor(number / 12_000) / 100;
  return {
    id: 1_000_000 + number,
    name: `Sim ${number}`,
    country: 'Simland',
    countryCode: 'XS',
    latitude: Math.round(latitude * 100) / 100,
    longitude: Math.round(longitude * 100) / 100,
    timezone: 'Etc/UTC',
  };
}

/** The known city at these coordinates (within 0.01°, as a client that rounds to 2 decimals asks). */
export function findCityNear(latitude: number, longitude: number): SimCity | undefined {
  return SIM_CITIES.find((city) => Math.abs(city.latitude - latitude) <= 0.01 && Math.abs(city.longitude - longitude) <= 0.01);
}

/** Snow and freezing precipitation: only where it is cold enough. */
const FREEZING_CODES = new Set([56, 57, 66, 67, 71, 73, 75, 77, 85, 86]);

export interface SimWeather {
  temperature_2m: number;
  relative_humidity_2m: number;
  apparent_temperature: number;
  weather_code: number;
  wind_speed_10m: number;
}

/**
 * Plausible, deterministic current weather for any coordinates: the same place always gets
 * the same values, so tests can assert them; warmer near the equator.
 */
export function simWeatherAt(latitude: number, longitude: number): SimWeather {
  const bytes = createHash('sha256')
    .update(`${latitude.toFixed(2)},${longitude.toFixed(2)}`)
    .digest();
  const unit = (index: number) => bytes[index]! / 255;
  const round1 = (value: number) => Math.round(value * 10) / 10;
  const temperature = round1(30 - 0.5 * Math.abs(latitude) + (unit(0) - 0.5) * 10);
  const wind = round1(unit(1) * 35);
  const codes = WMO_CODES.filter((code) => temperature < 1 === FREEZING_CODES.has(code));
  return {
    temperature_2m: temperature,
    relative_humidity_2m: Math.round(30 + unit(2) * 65),
    apparent_temperature: round1(temperature - wind / 8),
    weather_code: codes[Math.floor(unit(3) * codes.length) % codes.length]!,
    wind_speed_10m: wind,
  };
}
