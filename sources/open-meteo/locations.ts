import type { z } from 'zod';
import type { BatchCall } from '../kit/batcher.js';
import { UpstreamError } from '../kit/upstream-error.js';
import type { OpenMeteoApiOptions } from './api-options.js';
import { limitedWindow } from './limits.js';
import { firstIssue } from './schemas.js';

export interface Coordinates {
  latitude: number;
  longitude: number;
}

/** Coordinates rounded to 2 decimals (about 1 km): what the caches key on and what is asked for. */
export function coordinatesKey({ latitude, longitude }: Coordinates): string {
  return `${latitude.toFixed(2)},${longitude.toFixed(2)}`;
}

export function coordinatesOf(key: string): Coordinates {
  const [latitude, longitude] = key.split(',').map(Number) as [number, number];
  return { latitude, longitude };
}

/** What tells one of Open-Meteo's multi-location APIs (forecast, air quality) from another. */
export interface LocationsApi<S extends z.ZodType, T> {
  /** The source's name, in metrics and logs. */
  name: string;
  /** How errors name it, e.g. "The forecast service". */
  what: string;
  /** e.g. `/v1/forecast`. */
  path: string;
  /** The `current` variables asked for, comma-separated. */
  currentFields: string;
  /** One location's entry of the answer, and what it becomes. */
  schema: S;
  convert: (entry: z.infer<S>) => T;
}

/**
 * One of Open-Meteo's multi-location APIs as a batch call: the current values for several
 * coordinates keys in one call, which Open-Meteo's quota counts once per location.
 */
export function createLocationsCall<S extends z.ZodType, T>({ http, baseUrl, policy, quota }: OpenMeteoApiOptions, api: LocationsApi<S, T>): BatchCall<T> {
  const source = http.source({ name: api.name, what: api.what, baseUrl, policy, quota, limitedWindow });
  return (keys, { retry, ...context }) => {
    const url = new URL(`${baseUrl}${api.path}`);
    url.search = new URLSearchParams({ ...locationsQuery(keys), current: api.currentFields }).toString();
    return source.getJson({
      url,
      context,
      retry,
      weight: keys.length,
      parse: (body) => parseLocations(body, keys.length, api.schema, api.convert, api.what),
    });
  };
}

/** The query of a multi-location call: Open-Meteo takes comma-separated coordinate lists. */
export function locationsQuery(keys: readonly string[]): Record<string, string> {
  const locations = keys.map(coordinatesOf);
  return {
    latitude: locations.map((location) => location.latitude).join(','),
    longitude: locations.map((location) => location.longitude).join(','),
  };
}

/**
 * Reads the answer of a multi-location call: one location answers an object, several an
 * array in request order (matched by order: the answer's coordinates are the model's grid
 * cell, not ours). One bad entry is that location's problem, an UpstreamError of its own;
 * an answer that cannot be lined up with the locations, or with no usable entry at all, is
 * the host's, and is thrown.
 */
export function parseLocations<S extends z.ZodType, T>(
  body: unknown,
  expected: number,
  schema: S,
  convert: (entry: z.infer<S>) => T,
  what: string,
): (T | UpstreamError)[] {
  const entries = Array.isArray(body) ? body : [body];
  if (entries.length !== expected) {
    throw badResponse(what, `expected ${expected} location(s), got ${Array.isArray(body) ? entries.length : 'an object'}`);
  }
  const results = entries.map((entry) => {
    const parsed = schema.safeParse(entry);
    return parsed.success ? convert(parsed.data) : badResponse(what, firstIssue(parsed.error));
  });
  if (results.every((result) => result instanceof UpstreamError)) throw results[0]!;
  return results;
}

/** Thrown, it fails the whole call and counts against the host; returned, it is one location's. */
export function badResponse(what: string, detail: string): UpstreamError {
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', `${what} answered with an unexpected shape (${detail})`, { hostFailure: true });
}

/** UTC time of a reading given in the location's local time and its offset from UTC. */
export function utcTime(localTime: string, offsetSeconds = 0): string {
  return new Date(Date.parse(`${localTime}Z`) - offsetSeconds * 1000).toISOString();
}
