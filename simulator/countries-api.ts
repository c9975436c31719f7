import { countOne } from './calls.js';
import { findCountry, SIM_COUNTRIES, type SimCountry } from './countries.js';
import { DEMO_API_KEY, REVOKED_API_KEY } from './countries-keys.js';
import type { Answer, Refusal, Upstream } from './upstream.js';

/** What REST Countries sends with its data: it changes about never. */
const CACHE_CONTROL = { 'cache-control': 'public, immutable, max-age=31556926' };

const LIST = '/countries/v5';
const BY_CODE = `${LIST}/codes.alpha_2/`;
/** v1 to v4: retired in 2026; every path under them answers the deprecation notice. */
const RETIRED = /^\/v[1-4](\.\d+)?(\/|$)/;

/** REST Countries' error body, whatever the status. */
function restCountriesError(_status: number, message: string) {
  return { errors: [{ message }] };
}

/** What the retired versions answer, after their redirect: an HTTP 200 that holds no data. */
export const DEPRECATION_NOTICE = {
  success: false,
  data: null,
  errors: [{ message: 'This API version has been deprecated. Please migrate to our new version (v5).' }],
};

const refuse = (status: number, message: string): Refusal => ({ status, body: restCountriesError(status, message) });

/** The paths `response_fields` may name: top-level fields, and one level into the objects among them. */
const FIELD_PATHS = new Set(
  Object.entries(SIM_COUNTRIES[0]!).flatMap(([field, value]) =>
    typeof value === 'object' && !Array.isArray(value) ? [field, ...Object.keys(value).map((part) => `${field}.${part}`)] : [field],
  ),
);

/** The country with only the fields asked for (dotted paths pick one part of an object); all of it without a list. */
function pick(country: SimCountry, fields: string[] | null): Record<string, unknown> {
  if (!fields) return { ...country };
  const out: Record<string, unknown> = {};
  for (const path of fields) {
    const [field, part] = path.split('.') as [keyof SimCountry, string | undefined];
    if (part === undefined) out[field] = country[field];
    else out[field] = { ...(out[field] as object | undefined), [part]: (country[field] as Record<string, unknown>)[part] };
  }
  return out;
}

/** The bearer key of a call (`Authorization: Bearer …` or `?api-key=`), checked the way REST Countries does; a refusal, or null when it is taken. */
function checkKey(url: URL, authorization: string | undefined): Refusal | 'demo' | null {
  const key = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? url.searchParams.get('api-key');
  if (!key) return refuse(401, 'An API key is required: send Authorization: Bearer <key>');
  if (key === REVOKED_API_KEY) return refuse(401, 'Invalid or revoked API key');
  return key === DEMO_API_KEY ? 'demo' : null;
}

/** `limit` (1-100, default 25), `offset` (default 0) and `response_fields`, or REST Countries' reason for a 400. */
function pageParameters(url: URL): { limit: number; offset: number; fields: string[] | null } | string {
  const number = (name: string, fallback: number) => {
    const raw = url.searchParams.get(name);
    return raw === null ? fallback : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  };
  const limit = number('limit', 25);
  const offset = number('offset', 0);
  if (!(limit >= 1 && limit <= 100)) return 'limit must be an integer from 1 to 100';
  if (!(offset >= 0)) return 'offset must be a non-negative integer';
  const asked = url.searchParams.get('response_fields');
  const fields = asked === null ? null : asked.split(',').filter(Boolean);
  // The simulator serves fewer fields than the real one; asking for another is refused, so that a client that does notices here.
  const unknown = fields?.find((field) => !FIELD_PATHS.has(field));
  if (unknown !== undefined) return `Unknown field in response_fields: ${unknown}`;
  return { limit, offset, fields };
}

/** One page of countries, in v5's envelope; faults may corrupt the named country's entry, or the whole page. */
function pageOf(countries: readonly SimCountry[], limit: number, offset: number, fields: string[] | null, total: number): Answer {
  const objects = countries.map((country) => pick(country, fields));
  const meta = { total, count: objects.length, limit, offset, more: offset + objects.length < total };
  return {
    facts: { endpoint: 'countries', cities: [], countries: countries.map((country) => country.codes.alpha_2) },
    status: 200,
    body: { data: { objects, meta } },
    headers: CACHE_CONTROL,
    corrupt: (target) => {
      const bad = (entry: Record<string, unknown>) => ({ ...entry, population: 'many', capitals: 'Berlin, Paris' });
      if (target.country === undefined) return { data: { objects: objects.map(bad), meta: { ...meta, more: 'maybe' } } };
      return { data: { objects: objects.map((entry, index) => (countries[index]!.codes.alpha_2 === target.country ? bad(entry) : entry)), meta } };
    },
  };
}

/**
 * REST Countries as it is since 2026: v5 at `GET /countries/v5?limit=&offset=&response_fields=`
 * (and one country at `/countries/v5/codes.alpha_2/{code}`), behind a bearer key, in pages of
 * `{ data: { objects, meta } }`, errors as `{ errors: [{ message }] }`; and the retired v1-v4
 * paths, which answer an HTTP 200 deprecation notice. The demo key gets one sample and a notice.
 */
export const countriesUpstream: Upstream = {
  path: LIST,
  routes: (pathname) => pathname === LIST || pathname.startsWith(BY_CODE) || RETIRED.test(pathname),
  errorBody: restCountriesError,
  handle(url, { calls, headers }) {
    calls.countries += 1;
    countOne(calls.countriesByPath, url.pathname);
    // The real one redirects there first; the gateway is told the same by either.
    if (RETIRED.test(url.pathname)) return { status: 200, body: DEPRECATION_NOTICE };
    const key = checkKey(url, headers.authorization);
    if (key !== null && key !== 'demo') {
      calls.countriesUnauthorized += 1;
      return key;
    }
    const parameters = pageParameters(url);
    if (typeof parameters === 'string') return refuse(400, parameters);
    const { limit, offset, fields } = parameters;
    if (key === 'demo') {
      const sample = pick(findCountry('DE')!, fields);
      return {
        status: 200,
        body: {
          data: {
            objects: [sample],
            meta: { total: 1, count: 1, limit, offset: 0, more: false },
            _demo: { message: 'Demo key: one sample object. Sign up for a key of your own.' },
          },
        },
      };
    }
    if (url.pathname.startsWith(BY_CODE)) {
      const country = findCountry(url.pathname.slice(BY_CODE.length));
      return pageOf(country ? [country] : [], limit, 0, fields, country ? 1 : 0);
    }
    calls.countriesOffsets.push(offset);
    return pageOf(SIM_COUNTRIES.slice(offset, offset + limit), limit, offset, fields, SIM_COUNTRIES.length);
  },
};
