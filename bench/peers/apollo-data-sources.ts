// The apollo peers' RESTDataSources, one per API, made per request as Apollo's docs say.
// Without a TTL they cache what the answers' Cache-Control allows (REST Countries: a year;
// Open-Meteo sends none). REST Countries v5 is asked one code at a time, with the key. Apollo's docs advise batching only requests that cannot be cached,
// with a DataLoader inside the data source: so the Open-Meteo locations are batched without a
// TTL, and asked one by one, each cached for its TTL, with one.
import { type DataSourceConfig, RESTDataSource } from '@apollo/datasource-rest';
import DataLoader from 'dataloader';
import type { PeerSettings } from './shared.js';
import {
  type AirQualityEntry,
  airQualityParams,
  byCode,
  type Coordinates,
  type CountriesAnswer,
  type CountryEntry,
  countriesParams,
  countryPath,
  entries,
  type ForecastEntry,
  forecastParams,
  type GeocodingAnswer,
  geocodingParams,
} from './upstream.js';

type KeyValueCache = NonNullable<DataSourceConfig['cache']>;

interface SourceOptions {
  cache: KeyValueCache;
  baseURL: string;
  /** `cacheOptionsFor`'s TTL in seconds; null leaves caching to the answer's headers. */
  ttlS: number | null;
}

abstract class PeerDataSource extends RESTDataSource {
  readonly #ttlS: number | null;

  constructor({ cache, baseURL, ttlS }: SourceOptions) {
    super({ cache });
    this.baseURL = baseURL;
    this.#ttlS = ttlS;
  }

  protected override cacheOptionsFor() {
    return this.#ttlS === null ? undefined : { ttl: this.#ttlS };
  }
}

class GeocodingAPI extends PeerDataSource {
  search(name: string) {
    return this.get<GeocodingAnswer>('v1/search', { params: geocodingParams(name) });
  }
}

const coordinatesKey = ({ latitude, longitude }: Coordinates) => `${latitude},${longitude}`;

/** An Open-Meteo API of locations: one call for all the locations of a request, or one per location. */
class LocationsAPI<T> extends PeerDataSource {
  readonly #path: string;
  readonly #params: (at: readonly Coordinates[]) => Record<string, string>;
  readonly #batches: DataLoader<Coordinates, T, string> | null;

  constructor(options: SourceOptions & { path: string; params: (at: readonly Coordinates[]) => Record<string, string> }) {
    super(options);
    this.#path = options.path;
    this.#params = options.params;
    this.#batches = options.ttlS === null ? new DataLoader((at) => this.#fetch(at), { cacheKeyFn: coordinatesKey }) : null;
  }

  async #fetch(at: readonly Coordinates[]): Promise<T[]> {
    return entries(await this.get<T | T[]>(this.#path, { params: this.#params(at) }));
  }

  at(location: Coordinates): Promise<T> {
    return this.#batches ? this.#batches.load(location) : this.#fetch([location]).then(([entry]) => entry!);
  }
}

class CountriesAPI extends PeerDataSource {
  readonly #authorization: string;

  constructor(options: SourceOptions & { apiKey: string }) {
    super(options);
    this.#authorization = `Bearer ${options.apiKey}`;
  }

  async byCode(code: string): Promise<CountryEntry | undefined> {
    const answer = await this.get<CountriesAnswer>(countryPath(code).slice(1), { params: countriesParams, headers: { authorization: this.#authorization } });
    return byCode([answer]).get(code);
  }
}

export interface DataSources {
  geocoding: GeocodingAPI;
  forecast: LocationsAPI<ForecastEntry>;
  airQuality: LocationsAPI<AirQualityEntry>;
  countries: CountriesAPI;
}

/** A request's data sources on the server's cache; `cached` sets gatherql's TTLs through `cacheOptionsFor`. */
export function dataSources(settings: PeerSettings, cache: KeyValueCache, cached: boolean): DataSources {
  const ttl = (seconds: number) => (cached ? seconds : null);
  return {
    geocoding: new GeocodingAPI({ cache, baseURL: `${settings.geocodingUrl}/`, ttlS: ttl(settings.ttl.geocodingS) }),
    forecast: new LocationsAPI({ cache, baseURL: `${settings.forecastUrl}/`, ttlS: ttl(settings.ttl.weatherS), path: 'v1/forecast', params: forecastParams }),
    airQuality: new LocationsAPI({
      cache,
      baseURL: `${settings.airQualityUrl}/`,
      ttlS: ttl(settings.ttl.airQualityS),
      path: 'v1/air-quality',
      params: airQualityParams,
    }),
    countries: new CountriesAPI({ cache, baseURL: `${settings.countriesUrl}/`, ttlS: ttl(settings.ttl.countryS), apiKey: settings.countriesApiKey }),
  };
}
