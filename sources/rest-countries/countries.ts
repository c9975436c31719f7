import type { BatchCall } from '../kit/batcher.js';
import type { UpstreamHttp } from '../kit/http.js';
import type { Quota } from '../kit/quota.js';
import { UpstreamError } from '../kit/upstream-error.js';
import type { UpstreamPolicy } from '../kit/upstream-policy.js';
import { COUNTRY_FIELDS, type CountryEntry, countryEntry } from './schemas.js';

/** Facts about a country. JSON-serialisable: it is cached, maybe in a shared tier. */
export interface Country {
  /** ISO 3166-1 alpha-2, upper case. */
  code: string;
  name: string;
  officialName: string;
  capitals: string[];
  region: string | null;
  subregion: string | null;
  population: number | null;
  currencies: { code: string; name: string; symbol: string | null }[];
  languages: string[];
  /** The flag as an emoji. */
  flag: string | null;
}

export interface RestCountriesOptions {
  http: UpstreamHttp;
  /** Base URL without a trailing slash, e.g. https://restcountries.com. */
  baseUrl: string;
  policy: UpstreamPolicy;
  quota?: Quota;
  /** Sent with every call, e.g. an API key a mirror asks for. */
  headers?: Record<string, string>;
}

export const COUNTRIES = 'The countries service';

/**
 * REST Countries v3.1: several alpha-2 codes in one call. The answer is an array in the
 * service's own order (matched by `cca2`); a code it does not know is absent, and a call in
 * which it knows none answers 404. Both are null: "no such country", an answer to keep.
 */
export function createRestCountries({ http, baseUrl, policy, quota, headers }: RestCountriesOptions): BatchCall<Country | null> {
  const source = http.source({ name: 'countries', what: COUNTRIES, baseUrl, policy, quota, headers });
  return (codes, { retry, ...context }) => {
    const url = new URL(`${baseUrl}/v3.1/alpha`);
    url.search = new URLSearchParams({ codes: codes.join(','), fields: COUNTRY_FIELDS }).toString();
    return source.getJson({
      url,
      context,
      retry,
      weight: 1,
      parse: (body) => parseCountries(body, codes),
      onNotFound: () => codes.map(() => null),
    });
  };
}

function parseCountries(body: unknown, codes: readonly string[]): (Country | null | UpstreamError)[] {
  if (!Array.isArray(body)) throw badResponse('expected an array of countries');
  const found = new Map<string, Country | UpstreamError>();
  for (const entry of body) {
    const parsed = countryEntry.safeParse(entry);
    if (parsed.success) {
      found.set(parsed.data.cca2.toUpperCase(), toCountry(parsed.data));
    } else {
      // A bad entry is its country's problem, when the entry at least says which country it is.
      const code = typeof (entry as { cca2?: unknown })?.cca2 === 'string' ? (entry as { cca2: string }).cca2.toUpperCase() : null;
      const issue = parsed.error.issues[0];
      if (code) found.set(code, badResponse(`${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'unexpected shape'}`, false));
    }
  }
  return codes.map((code) => found.get(code) ?? null);
}

function toCountry(entry: CountryEntry): Country {
  return {
    code: entry.cca2.toUpperCase(),
    name: entry.name.common,
    officialName: entry.name.official,
    capitals: entry.capital ?? [],
    region: entry.region || null,
    subregion: entry.subregion || null,
    population: entry.population ?? null,
    currencies: Object.entries(entry.currencies ?? {}).map(([code, currency]) => ({ code, name: currency.name, symbol: currency.symbol || null })),
    languages: Object.values(entry.languages ?? {}),
    flag: entry.flag || null,
  };
}

function badResponse(detail: string, hostFailure = true): UpstreamError {
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', `${COUNTRIES} answered with an unexpected shape (${detail})`, { hostFailure });
}
