import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/database.js';
import type { Loaders } from '../loaders/index.js';

/** Who is asking: taken from a verified bearer token, never from the request body. */
export interface Viewer {
  id: number;
  role: Role;
}

/** What domain operations need from a request; the GraphQL context is a superset. */
export interface DomainContext {
  db: Kysely<Database>;
  loaders: Loaders;
  viewer: Viewer | null;
  /** WEATHER_MAX_CITIES: more cities in one `weather` field is BAD_USER_INPUT. */
  weatherMaxCities: number;
}
