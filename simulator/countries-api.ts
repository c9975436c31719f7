import { countOne } from './calls.js';
import { findCountry, type SimCountry } from './countries.js';
import type { Upstream } from './upstream.js';

/** What REST Countries sends with every 200: its data changes about never. */
const CACHE_CONTROL = { 'cache-control': 'public, immutable, max-age=31556926' };

/** REST Countries' error body. */
function restCountriesError(status: number, message: string) {
  return { message, status };
}

/** The country with only the whitelisted top-level fields; every field when there is no whitelist. */
function pick(country: SimCountry, fields: string[] | undefined): Partial<SimCountry> {
  if (fields === undefined) return country;
  return Object.fromEntries(Object.entries(country).filter(([field]) => fields.includes(field)));
}

/**
 * REST Countries v3.1 by code list, `GET /v3.1/alpha?codes=FR,JP&fields=…`, for the simulator's
 * table of countries. Codes match cca2 only (the real one also takes cca3, ccn3 and cioc).
 */
export const countriesUpstream: Upstream = {
  path: '/v3.1/alpha',
  errorBody: restCountriesError,
  handle(url, { calls }) {
    calls.countries += 1;
    const raw = url.searchParams.get('codes') ?? '';
    // Split on commas and not trimmed, as the real one does: "FR, JP" asks for " JP", which matches nothing.
    // Empty codes are dropped: the real one matches them against territories' empty codes, which no client wants.
    const codes = raw.split(',').filter(Boolean);
    if (codes.length === 0 || (!raw.includes(',') && (raw.length < 2 || raw.length > 3))) return { status: 400, body: restCountriesError(400, 'Bad Request') };
    calls.countriesBatchSizes.push(codes.length);
    for (const code of codes) countOne(calls.countriesByCode, code.toUpperCase());
    const facts = { endpoint: 'countries' as const, cities: [], countries: codes.map((code) => code.toUpperCase()) };
    // The real one collects matches in a hash set: duplicates collapse and the order is not the
    // request's. Reversed request order is deterministic and never the request's, so a client
    // that does not match answers by cca2 fails here rather than by luck in production.
    const found = [...new Set(codes.flatMap((code) => findCountry(code) ?? []))].reverse();
    if (found.length === 0) {
      return { facts, status: 404, body: restCountriesError(404, 'Not Found'), corrupt: () => ({ message: 404, status: 'Not Found' }) };
    }
    const asked = url.searchParams.get('fields')?.split(',').filter(Boolean);
    const fields = asked?.length ? asked : undefined;
    const entries = found.map((country) => pick(country, fields));
    return {
      facts,
      status: 200,
      body: entries,
      headers: CACHE_CONTROL,
      corrupt: (target) =>
        entries.map((entry, index) =>
          target.country === undefined || found[index]!.cca2 === target.country
            ? { ...entry, population: 'many', ...(entry.capital ? { capital: entry.capital.join(', ') } : {}) }
            : entry,
        ),
    };
  },
};
