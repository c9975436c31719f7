// What every peer server shares: its settings, the schema text, the SQL it runs and the
// shape of the upstream answers. Each peer then resolves them the way its own docs show.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export interface PeerSettings {
  port: number;
  databaseFile: string;
  geocodingUrl: string;
  forecastUrl: string;
}

export function peerSettings(): PeerSettings {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  return {
    port: Number(process.env.PORT ?? 0),
    databaseFile: need('DATABASE_FILE'),
    geocodingUrl: need('OPEN_METEO_GEOCODING_URL'),
    forecastUrl: need('OPEN_METEO_FORECAST_URL'),
  };
}

export interface PostRow {
  id: number;
  author_id: number;
  title: string;
  created_at: string;
}

export interface UserRow {
  id: number;
  username: string;
  display_name: string | null;
}

/** Opens the benchmark's SQLite file read-only; the same file the gateway serves. */
export function openPeerDatabase(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const postsPage = db.prepare<[number], PostRow>(
    'select id, author_id, title, created_at from posts where published = 1 order by created_at desc, id desc limit ?',
  );
  const userById = db.prepare<[number], UserRow>(
    'select users.id, username, display_name from users left join profiles on profiles.user_id = users.id where users.id = ?',
  );
  return {
    postsPage: (limit: number) => postsPage.all(limit),
    userById: (id: number) => userById.get(id) ?? null,
    usersByIds: (ids: readonly number[]) => {
      const rows = db
        .prepare<number[], UserRow>(
          `select users.id, username, display_name from users left join profiles on profiles.user_id = users.id where users.id in (${ids.map(() => '?').join(',')})`,
        )
        .all(...ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    },
  };
}

export interface GeocodingAnswer {
  results?: { name: string; latitude: number; longitude: number; country?: string; timezone?: string }[];
}

export interface ForecastAnswer {
  current: {
    time: string;
    temperature_2m: number;
    relative_humidity_2m: number;
    apparent_temperature: number;
    weather_code: number;
    wind_speed_10m: number;
  };
}

export const CURRENT_FIELDS = 'temperature_2m,relative_humidity_2m,apparent_temperature,weather_code,wind_speed_10m';

export function geocodingPath(city: string): string {
  return `/v1/search?name=${encodeURIComponent(city)}&count=1&language=en&format=json`;
}

export function forecastPath(latitude: number, longitude: number): string {
  return `/v1/forecast?latitude=${latitude}&longitude=${longitude}&current=${CURRENT_FIELDS}`;
}

/** The CityWeather or WeatherError object for one city, from the two upstream answers. */
export function cityWeather(city: string, geocoding: GeocodingAnswer, forecast: ForecastAnswer | null) {
  const place = geocoding.results?.[0];
  if (!place || !forecast) return { __typename: 'WeatherError', city, code: 'CITY_NOT_FOUND', message: `No place called ${city}` };
  const current = forecast.current;
  return {
    __typename: 'CityWeather',
    city,
    location: { name: place.name, country: place.country ?? null, latitude: place.latitude, longitude: place.longitude, timezone: place.timezone ?? null },
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

export function postEdges(rows: PostRow[], first: number) {
  const page = rows.slice(0, first);
  return {
    edges: page.map((row) => ({ cursor: String(row.id), node: row })),
    pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? String(page.at(-1)!.id) : null },
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`upstream answered ${response.status}`);
  return (await response.json()) as T;
}

/**
 * The weather resolver a tutorial would write with fetch: per city, geocoding then the
 * forecast, cities side by side, no batching and no cache. Used by the peers whose own docs
 * prescribe nothing else for REST calls.
 */
export function fetchWeather(settings: PeerSettings, cities: string[]) {
  return Promise.all(
    cities.map(async (city) => {
      try {
        const geocoding = await getJson<GeocodingAnswer>(settings.geocodingUrl + geocodingPath(city));
        const place = geocoding.results?.[0];
        const forecast = place ? await getJson<ForecastAnswer>(settings.forecastUrl + forecastPath(place.latitude, place.longitude)) : null;
        return cityWeather(city, geocoding, forecast);
      } catch (error) {
        return weatherError(city, error);
      }
    }),
  );
}

/** Tells the benchmark where the peer listens, on a line of its own. */
export function announce(name: string, url: string): void {
  console.log(JSON.stringify({ peer: name, url }));
}
