import type { CallContext, UpstreamHttp } from '../kit/http.js';
import type { Quota } from '../kit/quota.js';
import { UpstreamError } from '../kit/upstream-error.js';
import type { UpstreamPolicy } from '../kit/upstream-policy.js';
import { COUNTRIES, type Country, type CountryDataset } from './countries.js';
import { readNotice, readRefusal } from './refusals.js';
import { ALPHA_2, RESPONSE_FIELDS, type V5Country, v5Country, v5Page } from './schemas.js';

/** Objects per page: the most v5 gives, so that the whole dataset (about 250) is 3 calls. */
export const PAGE_LIMIT = 100;

/** A service still saying `more` after this many pages is garbling its paging, not listing countries. */
export const MAX_PAGES = 10;

export interface V5ClientOptions {
  http: UpstreamHttp;
  /** Base URL without a trailing slash (REST_COUNTRIES_URL). */
  baseUrl: string;
  policy: UpstreamPolicy;
  quota?: Quota;
  /** Sent as `Authorization: Bearer …` with every call; never logged, never in an error. */
  apiKey: string;
  /** Wall clock in ms: when the dataset was fetched. */
  now: () => number;
}

/** Loads the whole dataset: every page of `GET /countries/v5`, one after the other. */
export type LoadDataset = (context: CallContext) => Promise<CountryDataset>;

/**
 * REST Countries v5, read whole: `limit=PAGE_LIMIT` pages by `offset` until `meta.more` is
 * false. A refusal (401, 403, a retired version's notice) fails the load with a
 * CountriesRefusal; a page of the wrong shape with UPSTREAM_BAD_RESPONSE; one garbled entry
 * only its own country.
 */
export function createV5Client({ http, baseUrl, policy, quota, apiKey, now }: V5ClientOptions): LoadDataset {
  const source = http.source({ name: 'countries', what: COUNTRIES, baseUrl, policy, quota, headers: { authorization: `Bearer ${apiKey}` } });
  return async (context) => {
    const dataset: CountryDataset = { fetchedAt: 0, countries: {}, garbled: {} };
    let offset = 0;
    for (let page = 0; ; page += 1) {
      if (page === MAX_PAGES) throw badResponse(`still more after ${MAX_PAGES} pages`);
      const url = new URL(`${baseUrl}/countries/v5`);
      url.search = new URLSearchParams({ limit: String(PAGE_LIMIT), offset: String(offset), response_fields: RESPONSE_FIELDS }).toString();
      const { objects, more } = await source.getJson({ url, context, parse: parsePage, onRefusal: readRefusal });
      if (page === 0) dataset.fetchedAt = now();
      if (objects.length > 0 && addObjects(dataset, objects) === 0) throw badResponse('a page in which no entry has the documented shape');
      if (!more) return dataset;
      if (objects.length === 0) throw badResponse('an empty page that says more follow');
      offset += objects.length;
    }
  };
}

function parsePage(body: unknown): { objects: unknown[]; more: boolean } {
  const notice = readNotice(body);
  if (notice) throw notice;
  const parsed = v5Page.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badResponse(`${issue?.path.join('.') || 'page'}: ${issue?.message ?? 'unexpected shape'}`);
  }
  return { objects: parsed.data.data.objects, more: parsed.data.data.meta.more };
}

/** Adds a page's countries; an entry that names its country but is garbled is that country's failure. Returns the good entries. */
function addObjects(dataset: CountryDataset, objects: unknown[]): number {
  let good = 0;
  for (const object of objects) {
    const parsed = v5Country.safeParse(object);
    if (parsed.success) {
      const country = toCountry(parsed.data);
      dataset.countries[country.code] = country;
      good += 1;
      continue;
    }
    const code = (object as { codes?: { alpha_2?: unknown } } | null)?.codes?.alpha_2;
    if (typeof code === 'string' && ALPHA_2.test(code)) {
      const issue = parsed.error.issues[0];
      dataset.garbled[code.toUpperCase()] = `${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'unexpected shape'}`;
    }
  }
  return good;
}

function toCountry(entry: V5Country): Country {
  return {
    code: entry.codes.alpha_2.toUpperCase(),
    name: entry.names.common,
    officialName: entry.names.official,
    capitals: entry.capitals ?? [],
    region: entry.region || null,
    subregion: entry.subregion || null,
    population: entry.population ?? null,
    currencies: (entry.currencies ?? []).map(({ code, name, symbol }) => ({ code, name, symbol: symbol || null })),
    languages: entry.languages ?? [],
    flag: entry.flag || null,
  };
}

function badResponse(detail: string): UpstreamError {
  return new UpstreamError('UPSTREAM_BAD_RESPONSE', `${COUNTRIES} answered with an unexpected shape (${detail})`, { hostFailure: true });
}
