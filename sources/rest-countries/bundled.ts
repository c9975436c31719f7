import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Country, CountryDataset } from './countries.js';

/**
 * The dataset shipped with the gateway: the `world-countries` package (Mohammed Le Doze,
 * ODbL-1.0), pinned in package.json. Its facts are as old as its release, which is what
 * `fetchedAt` says of them; a test checks that the installed version is this one.
 */
export const BUNDLED_DATASET = {
  package: 'world-countries',
  version: '5.1.0',
  /** When world-countries 5.1.0 was published: the date of its facts. */
  publishedAt: Date.parse('2025-06-03T12:09:39.442Z'),
  licence: 'ODbL-1.0',
} as const;

/** The fields of a world-countries entry that gatherql reads (it has no population). */
interface WorldCountry {
  cca2?: string;
  name?: { common?: string; official?: string };
  capital?: string[];
  region?: string;
  subregion?: string;
  currencies?: Record<string, { name?: string; symbol?: string }>;
  languages?: Record<string, string>;
  flag?: string;
}

/**
 * Reads the bundled dataset: only the package's `countries.json` (about 1.4 MB), never its
 * index module or its `data/` folder of shapes (about 16 MB). Read at run time from
 * node_modules, so that the esbuild bundle (which keeps packages external) stays small.
 */
export async function readBundledDataset(): Promise<CountryDataset> {
  const path = createRequire(import.meta.url).resolve(`${BUNDLED_DATASET.package}/countries.json`);
  const entries = JSON.parse(await readFile(path, 'utf8')) as WorldCountry[];
  const countries: Record<string, Country> = {};
  for (const entry of entries) {
    const country = toCountry(entry);
    if (country) countries[country.code] = country;
  }
  return { fetchedAt: BUNDLED_DATASET.publishedAt, countries, garbled: {} };
}

function toCountry(entry: WorldCountry): Country | null {
  const code = entry.cca2?.toUpperCase();
  const name = entry.name?.common;
  if (!code || !/^[A-Z]{2}$/.test(code) || !name) return null;
  return {
    code,
    name,
    officialName: entry.name?.official || name,
    capitals: entry.capital ?? [],
    region: entry.region || null,
    subregion: entry.subregion || null,
    population: null,
    currencies: Object.entries(entry.currencies ?? {}).map(([currency, { name = currency, symbol }]) => ({ code: currency, name, symbol: symbol || null })),
    languages: Object.values(entry.languages ?? {}),
    flag: entry.flag || null,
  };
}
