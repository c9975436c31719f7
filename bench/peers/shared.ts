// What every peer server shares: its settings, the schema text, the SQL it runs. Each peer then
// resolves the queries the way its own docs show; the upstream answers are in upstream.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

// From the repository root, where every server runs (bench/harness/processes.ts): bundled, a
// peer's own location is bench/.build/.
export const typeDefs = readFileSync(join(process.cwd(), 'bench', 'peers', 'schema.graphql'), 'utf8');

export interface PeerSettings {
  port: number;
  databaseFile: string;
  geocodingUrl: string;
  forecastUrl: string;
  airQualityUrl: string;
  countriesUrl: string;
  /** REST_COUNTRIES_API_KEY: REST Countries v5 wants one. */
  countriesApiKey: string;
  /**
   * How long a cached peer may keep each thing, in seconds (answers in ms): gatherql's rules,
   * passed by the harness (bench/harness/servers.ts, FRESHNESS). Executed peers ignore them.
   */
  ttl: { geocodingS: number; weatherS: number; airQualityS: number; countryS: number; answerMs: number };
}

export function peerSettings(): PeerSettings {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const seconds = (name: string) => {
    const value = Number(need(name));
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds, got ${process.env[name]}`);
    return value;
  };
  return {
    port: Number(process.env.PORT ?? 0),
    databaseFile: need('DATABASE_FILE'),
    geocodingUrl: need('OPEN_METEO_GEOCODING_URL'),
    forecastUrl: need('OPEN_METEO_FORECAST_URL'),
    airQualityUrl: need('OPEN_METEO_AIR_QUALITY_URL'),
    countriesUrl: need('REST_COUNTRIES_URL'),
    countriesApiKey: need('REST_COUNTRIES_API_KEY'),
    ttl: {
      geocodingS: seconds('GEOCODING_CACHE_TTL_S'),
      weatherS: seconds('WEATHER_CACHE_TTL_S'),
      airQualityS: seconds('AIR_QUALITY_CACHE_TTL_S'),
      countryS: seconds('COUNTRY_CACHE_TTL_S'),
      answerMs: seconds('RESPONSE_CACHE_TTL_MS'),
    },
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

export function postEdges(rows: PostRow[], first: number) {
  const page = rows.slice(0, first);
  return {
    edges: page.map((row) => ({ cursor: String(row.id), node: row })),
    pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? String(page.at(-1)!.id) : null },
  };
}

/** Resolvers every peer has in common: the unions' types (objects carry `__typename`) and column names. */
export const commonResolvers = {
  Post: { createdAt: (post: PostRow) => post.created_at },
  User: { displayName: (user: UserRow) => user.display_name },
};

/**
 * The schema's unions, each resolved by the `__typename` its objects carry, under the name a
 * library looks for: `__resolveType` (graphql-tools: Yoga, Apollo) or `resolveType` (Mercurius).
 */
export function unionResolvers(key: '__resolveType' | 'resolveType') {
  const resolve = { [key]: (value: { __typename: string }) => value.__typename };
  return Object.fromEntries(['WeatherResult', 'CityResult', 'AirQualityResult', 'CountryResult'].map((name) => [name, resolve]));
}

/** Tells the benchmark where the peer listens, on a line of its own. */
export function announce(name: string, url: string): void {
  console.log(JSON.stringify({ peer: name, url }));
}
